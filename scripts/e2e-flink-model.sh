#!/usr/bin/env bash
# The model detector on Flink: trains the IsolationForest fixture
# (scripts/models/iforest.py, 5,000 readings of 10 devices), runs
# `beamlens anomalies --detectors=model --model=iforest.onnx` on Beam's Flink
# job server (embedded MiniCluster, LOOPBACK workers) and checks that it flags
# exactly the readings Python's onnxruntime flags, with scores within 1e-5,
# and that onnxruntime agrees with scikit-learn's own predict on at least
# 99.5% of them (issue 22's acceptance, on Flink; the Go tests check prism).
# Needs scripts/pyenv.sh's venv: run as
#   eval "$(scripts/pyenv.sh)"; export BEAMLENS_PYENV ONNXRUNTIME_SHARED_LIBRARY_PATH
#   scripts/e2e-flink-model.sh
set -euo pipefail
cd "$(dirname "$0")/.."
: "${BEAMLENS_PYENV:?run eval \"\$(scripts/pyenv.sh)\" first}"
: "${ONNXRUNTIME_SHARED_LIBRARY_PATH:?run eval \"\$(scripts/pyenv.sh)\" first}"
export ONNXRUNTIME_SHARED_LIBRARY_PATH
say() { echo "e2e-flink-model [$(date -u +%H:%M:%S)]: $*"; }

work="$PWD/.run/e2e-flink-model"
rm -rf "$work" && mkdir -p "$work"
say "training the IsolationForest fixture"
"$BEAMLENS_PYENV/bin/python" scripts/models/iforest.py "$work/fixture" --readings=5000 --devices=10 >"$work/train.log" 2>&1 ||
  { cat "$work/train.log"; exit 1; }
go build -o "$work/beamlens" ./cmd/beamlens

started=""
if ! scripts/flink.sh status >/dev/null 2>&1; then
  scripts/flink.sh start >/dev/null
  started=yes
fi
trap '[ -n "$started" ] && scripts/flink.sh stop >/dev/null 2>&1 || true' EXIT
endpoint="$(scripts/flink.sh env | sed -n 's/^FLINK_ENDPOINT=//p')"

say "anomalies --detectors=model on Flink ($endpoint)"
"$work/beamlens" anomalies --runner=flink --endpoint="$endpoint" --environment_type=LOOPBACK \
  --detectors=model --model="$work/fixture/iforest.onnx" --metrics=current,pressure,vibration \
  --input="$work/fixture/stream.jsonl" --output="$work/out" >"$work/job.log" 2>&1 ||
  { tail -20 "$work/job.log"; exit 1; }

"$BEAMLENS_PYENV/bin/python" - "$work/fixture/expected.jsonl" "$work/out" <<'PY'
import json, sys
expected_path, out = sys.argv[1], sys.argv[2]
expected = {}
for line in open(expected_path):
    r = json.loads(line)
    expected[(r["device_id"], r["timestamp"])] = r
got = {}
for line in open(out + "/anomalies.jsonl"):
    r = json.loads(line)
    got[(r["device_id"], r["timestamp"])] = r["score"]
dead = sum(1 for _ in open(out + "/deadletters.jsonl"))
want = {k for k, r in expected.items() if r["label"] == -1}
worst = max((abs(s - expected[k]["score"]) for k, s in got.items() if k in expected), default=0.0)
agree = sum(1 for r in expected.values() if r["label"] == r["sklearn"]) / len(expected)
print(f"flagged on Flink {len(got)}, by Python onnxruntime {len(want)}; largest score difference {worst:.2e}; "
      f"onnxruntime vs scikit-learn agreement {agree:.4f}; dead letters {dead}")
problems = []
if set(got) != want:
    problems.append(f"flags differ: {len(set(got) - want)} only on Flink, {len(want - set(got))} only in Python")
if worst > 1e-5:
    problems.append(f"a score differs by {worst:.2e} (> 1e-5)")
if agree < 0.995:
    problems.append(f"onnxruntime agrees with scikit-learn on {agree:.4f} (< 0.995)")
if dead:
    problems.append(f"{dead} dead letters")
if problems:
    sys.exit("FAIL: " + "; ".join(problems))
PY
say "PASS"
