"""The article's anomaly job written with Quix Streams, Kafka in, Kafka out.

The same detect_anomalies as the PyFlink and Beam Python jobs (parse the
JSON, flag temperature > 100, swallow every error), reading a topic from
its start and writing the flagged readings to another topic. It stops
once it has processed COUNT messages (or after 30 s without one). Usage:
python article_quix.py BROKER INPUT_TOPIC OUTPUT_TOPIC COUNT
"""
import json
import sys
import time
import uuid

from quixstreams import Application


def detect_anomalies(value):
    try:
        event = json.loads(value)
        temperature = float(event.get('temperature', 0))
        if temperature > 100:  # simple threshold for demo
            event['anomaly'] = True
            return event
    except Exception:
        pass
    return None


def main(broker, inp, out, count):
    app = Application(broker_address=broker, consumer_group='quix-' + uuid.uuid4().hex,
                      auto_offset_reset='earliest', loglevel='WARNING')
    # Bytes in, parsed inside the try: the JSON deserializer would stop the
    # job at the first malformed record (the input has some).
    source = app.topic(inp, value_deserializer='bytes')
    sink = app.topic(out, value_serializer='json')
    sdf = app.dataframe(source)
    sdf = sdf.apply(detect_anomalies).filter(lambda e: e is not None)
    sdf.to_topic(sink)
    start = time.monotonic()
    app.run(count=count, timeout=30, collect=False)
    print(f'quix: {count} messages in {time.monotonic() - start:.2f} s', file=sys.stderr)


if __name__ == '__main__':
    main(sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]))
