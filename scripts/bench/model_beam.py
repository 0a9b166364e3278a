"""Beam Python's RunInference with the same scikit-learn IsolationForest on
the same readings, for scripts/bench-model.sh: read JSON Lines, build each
reading's feature vector, RunInference (scikit-learn, batched by Beam),
write the readings the model calls outliers.

Usage: python model_beam.py INPUT.jsonl OUTPUT_PREFIX model.joblib
"""
import json
import sys

import apache_beam as beam
import numpy as np
from apache_beam.ml.inference.base import KeyedModelHandler, RunInference
from apache_beam.ml.inference.sklearn_inference import ModelFileType, SklearnModelHandlerNumpy

METRICS = ["current", "pressure", "vibration"]


def features(line):
    r = json.loads(line)
    return line, np.array([r[m] for m in METRICS], dtype=np.float32)


def main():
    inp, out, model = sys.argv[1:4]
    handler = KeyedModelHandler(SklearnModelHandlerNumpy(model_uri=model, model_file_type=ModelFileType.JOBLIB))
    with beam.Pipeline() as p:
        (p
         | beam.io.ReadFromText(inp)
         | beam.Map(features)
         | RunInference(handler)
         | beam.Filter(lambda kv: int(kv[1].inference) == -1)
         | beam.Map(lambda kv: kv[0])
         | beam.io.WriteToText(out, num_shards=1))


if __name__ == "__main__":
    main()
