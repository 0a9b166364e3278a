// Command topictool produces JSON Lines files to Kafka and dumps topics, for
// the end-to-end scripts: it uses the same client library as beamlens
// (franz-go) but none of beamlens's code, so the scripts check beamlens
// from the outside.
//
//	topictool produce --brokers=B --topic=T --file=F [--pause=200ms --chunk=1000]
//	topictool dump    --brokers=B --topic=T        # every record's value, one per line
//	topictool pace    --brokers=B --topic=T --rate=5000 --duration=20s
//	                  # live sensor readings stamped now, 1% of them over 100
//	topictool latency --brokers=B --topic=T        # p50/p99 of record time - reading time
package main
