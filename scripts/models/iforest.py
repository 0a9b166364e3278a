"""Trains a scikit-learn IsolationForest on a generated multivariate sensor
stream, exports it to ONNX with skl2onnx, and writes what Python's own
runtimes say about a second stream, for the model detector's tests, its
benchmark and the README's guide.

Usage: python iforest.py OUTDIR [--readings N] [--devices D] [--seed S]
                          [--kind iforest|ocsvm|lof]

--kind trains a OneClassSVM or a LocalOutlierFactor(novelty=True) instead
(same file names: the tests and the benchmark use the IsolationForest).

OUTDIR gets:
  iforest.onnx      the model (input X float32 [-1, 3]; outputs label, scores)
  model.joblib      the same model for MLServer's scikit-learn runtime
  model-settings.json  MLServer's settings for it (name iforest)
  stream.jsonl      the scored stream: device_id, timestamp, current,
                    pressure, vibration
  expected.jsonl    per stream line, in order: onnxruntime's label and score
                    (Python), and scikit-learn's own predict
"""
import argparse
import json
import os

import joblib
import numpy as np
import onnxruntime as ort
from skl2onnx import to_onnx
from sklearn.ensemble import IsolationForest
from sklearn.neighbors import LocalOutlierFactor
from sklearn.svm import OneClassSVM

METRICS = ["current", "pressure", "vibration"]


def generate(rng, n):
    """Correlated normal operation with about 1% faults off the relation."""
    current = rng.normal(10.0, 1.0, n)
    pressure = 2.0 * current + rng.normal(0.0, 0.5, n)
    vibration = 0.3 * current + rng.normal(0.0, 0.2, n)
    x = np.column_stack([current, pressure, vibration])
    faults = rng.random(n) < 0.01
    x[faults] += rng.normal(0.0, 6.0, (faults.sum(), 3))
    return x.astype(np.float32)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("outdir")
    ap.add_argument("--readings", type=int, default=20000)
    ap.add_argument("--devices", type=int, default=20)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--train", type=int, default=5000)
    ap.add_argument("--kind", choices=["iforest", "ocsvm", "lof"], default="iforest")
    a = ap.parse_args()
    os.makedirs(a.outdir, exist_ok=True)
    rng = np.random.default_rng(a.seed)

    model = {
        "iforest": lambda: IsolationForest(n_estimators=100, contamination=0.01, random_state=a.seed),
        "ocsvm": lambda: OneClassSVM(nu=0.01, gamma="scale"),
        "lof": lambda: LocalOutlierFactor(n_neighbors=20, novelty=True, contamination=0.01),
    }[a.kind]()
    model.fit(generate(rng, a.train))
    onx = to_onnx(model, np.zeros((1, len(METRICS)), dtype=np.float32), target_opset={"": 17, "ai.onnx.ml": 3})
    path = os.path.join(a.outdir, "iforest.onnx")
    with open(path, "wb") as f:
        f.write(onx.SerializeToString())
    joblib.dump(model, os.path.join(a.outdir, "model.joblib"))
    with open(os.path.join(a.outdir, "model-settings.json"), "w") as f:
        # The declared input lets a client check the width it sends.
        json.dump({"name": "iforest", "implementation": "mlserver_sklearn.SKLearnModel",
                   "inputs": [{"name": "X", "datatype": "FP32", "shape": [-1, len(METRICS)]}],
                   "parameters": {"uri": "./model.joblib"}}, f)

    x = generate(rng, a.readings)
    sess = ort.InferenceSession(path, providers=["CPUExecutionProvider"])
    label, scores = sess.run(None, {"X": x})
    sk = model.predict(x)
    t0 = 1767225600000  # 2026-01-01T00:00:00Z
    with open(os.path.join(a.outdir, "stream.jsonl"), "w") as s, \
            open(os.path.join(a.outdir, "expected.jsonl"), "w") as e:
        for i in range(a.readings):
            r = {"device_id": f"dev-{i % a.devices:03d}", "timestamp": t0 + i * 1000}
            # repr of a float32 as float64 round-trips exactly through
            # JSON: beamlens reads the same float32 back.
            r.update({m: float(x[i, j]) for j, m in enumerate(METRICS)})
            s.write(json.dumps(r) + "\n")
            e.write(json.dumps({"device_id": r["device_id"], "timestamp": r["timestamp"],
                                "label": int(label.ravel()[i]), "score": float(scores.ravel()[i]),
                                "sklearn": int(sk[i])}) + "\n")


if __name__ == "__main__":
    main()
