#!/usr/bin/env bash
# Times the anomaly pipeline on prism over N generated readings (default 1M)
# with the threshold detector and with the default ensemble, and prints
# readings/s and the ratio. Usage: scripts/bench-pipeline.sh [N]
set -euo pipefail
cd "$(dirname "$0")/.."
n="${1:-1000000}"
work="${BEAMLENS_RUN_DIR:-$PWD/.run}/bench-pipeline"
mkdir -p "$work"
go build -o "$work/beamlens" ./cmd/beamlens
input="$work/sensors-$n.jsonl"
[ -s "$input" ] || "$work/beamlens" gen sensors --n="$n" --seed=1 --out="$input"

run() { # name detectors
  rm -rf "$work/out-$1"
  local start end
  start=$(date +%s.%N)
  "$work/beamlens" anomalies --input="$input" --output="$work/out-$1" --detectors="$2" 2>"$work/$1.log"
  end=$(date +%s.%N)
  python3 - "$1" "$start" "$end" "$n" "$work/out-$1/anomalies.jsonl" <<'PY'
import sys
name, s, e, n, path = sys.argv[1], float(sys.argv[2]), float(sys.argv[3]), int(sys.argv[4]), sys.argv[5]
flagged = sum(1 for _ in open(path, 'rb'))
print(f"{name:10s} {e-s:8.2f} s  {n/(e-s):10.0f} readings/s  {flagged} anomalies")
PY
}
echo "machine: $(nproc) cores, $(date -u +%Y-%m-%d), Beam Go $(go list -m -f '{{.Version}}' github.com/apache/beam/sdks/v2), prism, $n readings"
t=$(run threshold threshold); echo "$t"
e=$(run ensemble ensemble); echo "$e"
python3 - "$t" "$e" <<'PY'
import sys
rate = lambda line: float(line.split()[3])
print(f"ensemble / threshold throughput: {rate(sys.argv[2]) / rate(sys.argv[1]):.2f}")
PY
