#!/usr/bin/env bash
# Times the anomaly pipeline with the model detector on prism over N readings
# (default 200k) of the IsolationForest fixture (scripts/models/iforest.py):
# the threshold detector (the reference), the ONNX IsolationForest in process,
# the same ONNX model as exported (BEAMLENS_ONNX_AS_EXPORTED=1: no forest
# rewrite), the same model served by MLServer (KServe v2), and Beam Python's
# RunInference with the same scikit-learn model, in one run on one input.
# Prints readings/s, the ratios and the load average (the machine is shared).
# Usage: scripts/bench-model.sh [N]
# Needs scripts/pyenv.sh's venv (made here) and, for Beam Python, a venv with
# apache-beam==2.77.0, scikit-learn==1.9.1 and pandas (BEAM_VENV, default
# ~/.cache/beamlens/venv-beam-bench; made here when missing).
set -euo pipefail
cd "$(dirname "$0")/.."
n="${1:-200000}"
work="${BEAMLENS_RUN_DIR:-$PWD/.run}/bench-model"
mkdir -p "$work"
eval "$(scripts/pyenv.sh)"
export BEAMLENS_PYENV ONNXRUNTIME_SHARED_LIBRARY_PATH
beam_venv="${BEAM_VENV:-${BEAMLENS_CACHE:-$HOME/.cache/beamlens}/venv-beam-bench}"
if [ ! -x "$beam_venv/bin/python" ] || ! "$beam_venv/bin/python" -c 'import apache_beam' 2>/dev/null; then
  python3.11 -m venv "$beam_venv"
  "$beam_venv/bin/pip" install -q apache-beam==2.77.0 scikit-learn==1.9.1 joblib==1.6.0 pandas
fi
go build -o "$work/beamlens" ./cmd/beamlens
fixture="$work/fixture-$n"
[ -s "$fixture/stream.jsonl" ] || "$BEAMLENS_PYENV/bin/python" scripts/models/iforest.py "$fixture" --readings="$n" --devices=100
input="$fixture/stream.jsonl"
metrics=--metrics=current,pressure,vibration

timed() { # name command...
  local name=$1; shift
  local start end
  start=$(date +%s.%N)
  "$@" >"$work/$name.log" 2>&1
  end=$(date +%s.%N)
  python3 -c "import sys; n,s,e=int(sys.argv[1]),float(sys.argv[2]),float(sys.argv[3]); print(f'{sys.argv[4]:12s} {e-s:8.2f} s {n/(e-s):10.0f} readings/s')" "$n" "$start" "$end" "$name"
}

echo "machine: $(nproc) cores, $(date -u +%Y-%m-%dT%H:%MZ), Beam Go $(go list -m -f '{{.Version}}' github.com/apache/beam/sdks/v2), prism, $n readings, load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"
t=$(timed threshold "$work/beamlens" anomalies --detectors=threshold --metric=current --threshold=14 "$metrics" --window=off --input="$input" --output="$work/out-threshold" --overwrite); echo "$t"
o=$(timed onnx "$work/beamlens" anomalies --detectors=model --model="$fixture/iforest.onnx" "$metrics" --window=off --input="$input" --output="$work/out-onnx" --overwrite); echo "$o"
# The same model without the load-time forest rewrite (models/inference/onnxfuse.go).
e=$(timed onnx-exported env BEAMLENS_ONNX_AS_EXPORTED=1 "$work/beamlens" anomalies --detectors=model --model="$fixture/iforest.onnx" "$metrics" --window=off --input="$input" --output="$work/out-onnx-exported" --overwrite); echo "$e"

# MLServer on loopback (parallel_workers 0: see README).
srv="$work/mlserver"
mkdir -p "$srv"
cp "$fixture/model.joblib" "$fixture/model-settings.json" "$srv/"
echo '{"host": "127.0.0.1", "http_port": 18080, "grpc_port": 18081, "metrics_port": 18082, "parallel_workers": 0}' >"$srv/settings.json"
(cd "$srv" && exec "$BEAMLENS_PYENV/bin/mlserver" start . >"$work/mlserver.log" 2>&1) &
mls=$!
trap 'kill $mls 2>/dev/null || true' EXIT
for _ in $(seq 1 240); do
  curl -sf http://127.0.0.1:18080/v2/models/iforest/ready >/dev/null && break
  sleep 0.5
done
m=$(timed mlserver "$work/beamlens" anomalies --detectors=model --model=http://127.0.0.1:18080/v2/models/iforest "$metrics" --window=off --input="$input" --output="$work/out-mlserver" --overwrite); echo "$m"
kill $mls; wait $mls 2>/dev/null || true

rm -rf "$work/out-beampy"; mkdir -p "$work/out-beampy"
b=$(timed beam-python "$beam_venv/bin/python" scripts/bench/model_beam.py "$input" "$work/out-beampy/part" "$fixture/model.joblib"); echo "$b"

echo "flagged: onnx $(wc -l <"$work/out-onnx/anomalies.jsonl"), onnx as exported $(wc -l <"$work/out-onnx-exported/anomalies.jsonl"), mlserver $(wc -l <"$work/out-mlserver/anomalies.jsonl"), beam python $(cat "$work"/out-beampy/part* | wc -l), threshold $(wc -l <"$work/out-threshold/anomalies.jsonl")"
python3 - "$t" "$o" "$m" "$b" "$e" <<'PY'
import sys
rate = lambda line: float(line.split()[3])
t, o, m, b, e = map(rate, sys.argv[1:6])
print(f"onnx / threshold: {o/t:.2f}; mlserver / threshold: {m/t:.2f}; onnx / beam python: {o/b:.1f}x; mlserver / beam python: {m/b:.1f}x; onnx / onnx as exported: {o/e:.1f}x")
PY
echo "load average at end: $(cut -d' ' -f1-3 /proc/loadavg)"
