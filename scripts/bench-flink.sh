#!/usr/bin/env bash
# Kafka -> Kafka throughput of the anomaly pipeline on Flink, on Beam's embedded job
# server (a MiniCluster in the job server's JVM, LOOPBACK workers in the client) and on the
# session cluster of scripts/flink.sh (a JobManager and 2 TaskManagers x 2 slots, each its
# own JVM, PROCESS workers started by the TaskManagers), at --parallelism 1, 2 and 4.
#
# Input: N readings (default 300000, `beamlens gen sensors --seed=1`) in a 4-partition
# topic; the job: `beamlens anomalies --bounded --input=kafka://... --output=kafka://...`
# (threshold detector, 5-minute window statistics; a bounded read ends when it reaches the
# offsets it found at start). Reported per run: the client's wall time (submission,
# staging, worker start and the run) and, on the cluster, Flink's own duration of the job
# (JobManager REST API: from its start on the cluster to its end); readings/s is N over
# each. Starts Kafka unless it runs; for each mode starts Flink (unless a job server of
# that mode runs) and stops what it started.
#
# Usage: scripts/bench-flink.sh [N] [MODES]    MODES default "embedded cluster"
set -euo pipefail
cd "$(dirname "$0")/.."
n="${1:-300000}"
modes="${2:-embedded cluster}"
work="${BEAMLENS_RUN_DIR:-$PWD/.run}/bench-flink"
. scripts/lib/kafka-bench.sh
flink_started=""
trap '[ -n "$flink_started" ] && scripts/flink.sh stop >/dev/null 2>&1; cleanup' EXIT
id=$(date +%s)
[ -s "$work/sensors-$n.jsonl" ] || "$work/beamlens" gen sensors --n="$n" --seed=1 --out="$work/sensors-$n.jsonl"
in="bench_flink_in_$id"
scripts/kafka.sh topic "$in" 4 >/dev/null
"$work/topictool" produce --brokers="$b" --topic="$in" --file="$work/sensors-$n.jsonl" 2>/dev/null
echo "machine: $(nproc) cores, $(free -g | awk '/Mem:/ {print $2}') GiB, $(date -u +%Y-%m-%dT%H:%MZ), load $(cut -d' ' -f1-3 /proc/loadavg); Beam Go $(go list -m -f '{{.Version}}' github.com/apache/beam/sdks/v2), job server $(scripts/flink.sh env | awk -F= '/^BEAM_VERSION/ {print $2}') / Flink $(scripts/flink.sh env | awk -F= '/^FLINK_VERSION/ {print $2}'); $n readings, 4 partitions"
echo "| mode | parallelism | client wall time | readings/s (wall) | Flink job time | readings/s (job) | records written |"
echo "|---|---:|---:|---:|---:|---:|---:|"
for mode in $modes; do
  running_mode=""
  if scripts/flink.sh status >/dev/null 2>&1; then
    running_mode=embedded
    [ -f "$(scripts/flink.sh env | sed -n 's/^CLUSTER_DIR=//p')/rest.port" ] && running_mode=cluster
  fi
  if [ -n "$running_mode" ] && [ "$running_mode" != "$mode" ]; then
    echo "(skipping $mode: a $running_mode job server runs)"; continue
  fi
  if [ -z "$running_mode" ]; then
    FLINK_MODE="$mode" scripts/flink.sh start >"$work/flink-$mode.log" 2>&1
    flink_started=1
  fi
  FLINK_REST_PORT=$(scripts/flink.sh env | sed -n 's/^FLINK_REST_PORT=//p')
  GO_FLAGS=$(scripts/flink.sh env | sed -n 's/^GO_FLAGS=//p')
  for p in 1 2 4; do
    out="bench_flink_out_${id}_${mode}_$p"
    s=$(date +%s.%N)
    # shellcheck disable=SC2086
    "$work/beamlens" anomalies --bounded --detectors=threshold --input="kafka://$b/$in" --kafka-group="bench_${id}_${mode}_$p" \
      --output="kafka://$b/$out" $GO_FLAGS --parallelism="$p" 2>"$work/$mode-$p.log"
    e=$(date +%s.%N)
    written=$(awk '/kafka_records_written/ {print $2}' "$work/$mode-$p.log")
    job_ms=""
    if [ "$mode" = cluster ]; then
      job_ms=$(curl -fsS "http://127.0.0.1:$FLINK_REST_PORT/jobs/overview" | python3 -c 'import sys,json
j=max(json.load(sys.stdin)["jobs"], key=lambda j: j["start-time"])
print(j["duration"] if j["state"]=="FINISHED" else "")')
    fi
    python3 -c 'import sys
n, s, e, mode, p, w, job = int(sys.argv[1]), float(sys.argv[2]), float(sys.argv[3]), sys.argv[4], sys.argv[5], sys.argv[6], sys.argv[7]
jt = f"{int(job)/1000:.1f} s | {n/(int(job)/1000):,.0f}" if job else "- | -"
print(f"| {mode} | {p} | {e-s:.1f} s | {n/(e-s):,.0f} | {jt} | {w} |")' "$n" "$s" "$e" "$mode" "$p" "${written:--}" "$job_ms"
  done
  if [ -n "$flink_started" ]; then scripts/flink.sh stop >/dev/null 2>&1; flink_started=""; fi
done
