"""The article's anomaly job on PyFlink, file in and file out.

The same detect_anomalies as ../shared/seed-article.txt (JSON parse,
temperature > 100, add "anomaly": true), between a text-file source and a
row-format file sink instead of Kafka, in batch mode. Usage:
python article_pyflink.py INPUT OUTPUT_DIR PARALLELISM
"""
import json
import sys

from pyflink.common import Encoder, Types, WatermarkStrategy
from pyflink.datastream import RuntimeExecutionMode, StreamExecutionEnvironment
from pyflink.datastream.connectors.file_system import FileSink, FileSource, StreamFormat


def clean_and_parse(event_str):
    return json.loads(event_str.strip())


def detect_anomalies(event_str):
    try:
        event = clean_and_parse(event_str)
        temperature = float(event.get('temperature', 0))
        if temperature > 100:  # simple threshold for demo
            event['anomaly'] = True
            return json.dumps(event)
    except Exception:
        pass
    return None


def main(inp, out, parallelism):
    env = StreamExecutionEnvironment.get_execution_environment()
    # The Python workers must run in this virtualenv, not the first
    # python on PATH.
    env.set_python_executable(sys.executable)
    env.set_parallelism(parallelism)
    env.set_runtime_mode(RuntimeExecutionMode.BATCH)
    source = FileSource.for_record_stream_format(StreamFormat.text_line_format(), inp).build()
    ds = env.from_source(source, WatermarkStrategy.no_watermarks(), "File Source")
    anomalies = ds.map(detect_anomalies, output_type=Types.STRING()).filter(lambda x: x is not None)
    anomalies.sink_to(FileSink.for_row_format(out, Encoder.simple_string_encoder()).build())
    env.execute("article anomalies")


if __name__ == '__main__':
    main(sys.argv[1], sys.argv[2], int(sys.argv[3]))
