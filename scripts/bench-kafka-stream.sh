#!/usr/bin/env bash
# The streaming (unbounded) Kafka path's throughput, one beamlens binary against
# another, alternated: N generated readings are produced to a fresh 3-partition
# topic keyed by device, then an unbounded threshold job reads it from the
# earliest offset and writes its anomalies back; the time is from the job's start
# to the moment the output topic holds every anomaly a file run finds (topictool
# await: end offsets polled every 20 ms), pipeline start included. Window stats
# are not waited for: in a stream the newest windows stay open until newer data.
# Starts the broker if it is not running and stops it again. Usage:
#   scripts/bench-kafka-stream.sh [N] [ROUNDS] [BASE_BINARY]
# BASE_BINARY (optional) is an older beamlens build to alternate with this tree's
# (e.g. built from commit 459fb77, before issue #21's event-time changes).
set -euo pipefail
cd "$(dirname "$0")/.."
n="${1:-200000}"; rounds="${2:-3}"; base="${3:-}"
work="${BEAMLENS_RUN_DIR:-$PWD/.run}/bench-kafka-stream"
. scripts/lib/kafka-bench.sh
in="$work/sensors-$n.jsonl"
[ -s "$in" ] || "$work/beamlens" gen sensors --n="$n" --seed=1 --out="$in"
rm -rf "$work/file"
"$work/beamlens" anomalies --detectors=threshold --input="$in" --output="$work/file" --overwrite 2>/dev/null
want=$(wc -l <"$work/file/anomalies.jsonl")
bins=("$work/beamlens"); names=(head)
[ -n "$base" ] && { bins+=("$base"); names+=(base); }
echo "machine: $(nproc) cores, $(date -u +%Y-%m-%dT%H:%MZ), load $(cut -d' ' -f1-3 /proc/loadavg), $n readings, $want anomalies to wait for"
for r in $(seq "$rounds"); do
  for i in "${!bins[@]}"; do
    id="$(date +%s%N)"
    scripts/kafka.sh topic "bks_in_$id" 3 >/dev/null
    "$work/topictool" produce --brokers="$b" --topic="bks_in_$id" --key-field=device_id --file="$in" 2>/dev/null
    "${bins[$i]}" anomalies --detectors=threshold --input="kafka://$b/bks_in_$id" --kafka-start=earliest \
      --kafka-group="bks_$id" --output="kafka://$b/bks_out_$id" 2>"$work/job-$r-$i.log" &
    job=$!
    secs=$("$work/topictool" await --brokers="$b" --topic="bks_out_$id" --count="$want")
    kill -INT "$job" 2>/dev/null || true
    for _ in $(seq 50); do kill -0 "$job" 2>/dev/null || break; sleep 0.2; done
    kill -KILL "$job" 2>/dev/null || true; wait "$job" 2>/dev/null || true; job=""
    python3 -c "import sys; n,s=int(sys.argv[1]),float(sys.argv[2]); print(f'round {sys.argv[3]} {sys.argv[4]:4s}: {s:.2f} s = {n/s:,.0f} readings/s')" "$n" "$secs" "$r" "${names[$i]}"
  done
done
