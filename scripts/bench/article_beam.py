"""The article's anomaly job on Beam Python's default local runner.

The same detect_anomalies as the PyFlink job, file in and file out. Usage:
python article_beam.py INPUT OUTPUT_PREFIX
"""
import json
import sys

import apache_beam as beam


def detect_anomalies(event_str):
    try:
        event = json.loads(event_str.strip())
        temperature = float(event.get('temperature', 0))
        if temperature > 100:  # simple threshold for demo
            event['anomaly'] = True
            return json.dumps(event)
    except Exception:
        pass
    return None


def main(inp, out):
    with beam.Pipeline() as p:
        (p
         # Bytes, decoded inside the try: with the default UTF-8 coder one
         # invalid line (the input has some) fails the whole job.
         | 'Read' >> beam.io.ReadFromText(inp, coder=beam.coders.BytesCoder())
         | 'Detect' >> beam.Map(detect_anomalies)
         | 'Flagged' >> beam.Filter(lambda x: x is not None)
         | 'Write' >> beam.io.WriteToText(out))


if __name__ == '__main__':
    main(sys.argv[1], sys.argv[2])
