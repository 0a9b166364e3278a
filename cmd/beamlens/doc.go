// Command beamlens runs beamlens's streaming data-science pipelines: sensor
// anomaly detection and review themes, on prism, direct or Flink, over
// JSON Lines files, Kafka or Pub/Sub. "beamlens demo" runs the anomaly
// pipeline on a generated stream with no services and no API key.
//
// Exit codes: 0 success, 1 the run failed, 2 bad usage (unknown flag or
// subcommand, bad URI or option) or a failed pre-flight check (preflight.go:
// input topic or subscription, job server, output directory, LLM server,
// checked before anything is built or submitted).
package main
