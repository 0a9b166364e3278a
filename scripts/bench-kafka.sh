#!/usr/bin/env bash
# Kafka through Beam on prism against the real broker (scripts/kafka.sh):
#  1. throughput: N generated readings (default 300k) read from a 3-partition
#     topic with a bounded read, threshold anomalies and window stats written
#     back to Kafka;
#  2. latency: live readings at a steady 5,000/s for 30 s into an unbounded
#     read; p50/p99 of anomaly record time minus reading time;
#  3. scripts/bench-kafka-peers.sh: 1M readings next to kcat and Quix Streams.
# Starts the broker if it is not running and stops it again. Usage:
# scripts/bench-kafka.sh [N]
set -euo pipefail
cd "$(dirname "$0")/.."
n="${1:-300000}"
work="${BEAMLENS_RUN_DIR:-$PWD/.run}/bench-kafka"
. scripts/lib/kafka-bench.sh
id=$(date +%s)
[ -s "$work/sensors-$n.jsonl" ] || "$work/beamlens" gen sensors --n="$n" --seed=1 --out="$work/sensors-$n.jsonl"
scripts/kafka.sh topic "bench_in_$id" 3 >/dev/null
"$work/topictool" produce --brokers="$b" --topic="bench_in_$id" --file="$work/sensors-$n.jsonl" 2>/dev/null
s=$(date +%s.%N)
"$work/beamlens" anomalies --detectors=threshold --bounded --input="kafka://$b/bench_in_$id" --output="kafka://$b/bench_out_$id" 2>"$work/throughput.log"
e=$(date +%s.%N)
written=$(awk '/kafka_records_written/ {print $2}' "$work/throughput.log")
echo "machine: $(nproc) cores, $(date -u +%Y-%m-%dT%H:%MZ), Beam Go prism, Kafka $(scripts/kafka.sh env 2>/dev/null | awk -F= '/KAFKA_VERSION/ {print $2}')"
python3 -c "import sys; n,s,e,w=int(sys.argv[1]),float(sys.argv[2]),float(sys.argv[3]),int(sys.argv[4]); print(f'throughput: {n} readings read, {w} records written in {e-s:.2f} s = {n/(e-s):,.0f} readings/s read through Beam (pipeline start included)')" "$n" "$s" "$e" "${written:-0}"

scripts/kafka.sh topic "lat_in_$id" 3 >/dev/null
"$work/beamlens" anomalies --detectors="${LATENCY_DETECTORS:-threshold}" --input="kafka://$b/lat_in_$id" --kafka-start=latest --output="kafka://$b/lat_out_$id" 2>"$work/latency.log" &
job=$!
sleep 8 # the job's partitions are discovered and caught up before the pace starts
"$work/topictool" pace --brokers="$b" --topic="lat_in_$id" --rate=5000 --duration=30s
sleep 5
kill -INT "$job" 2>/dev/null || true; sleep 2; kill -KILL "$job" 2>/dev/null || true; job=""
echo "latency at 5,000 readings/s: $("$work/topictool" latency --brokers="$b" --topic="lat_out_$id")"

# 3. side by side on 1M readings: beamlens, kcat, Quix Streams (KAFKA_PEERS=0 skips it).
[ "${KAFKA_PEERS:-1}" = 0 ] || scripts/bench-kafka-peers.sh 1000000 3
