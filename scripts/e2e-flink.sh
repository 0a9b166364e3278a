#!/usr/bin/env bash
# End to end on Flink: a real Kafka broker and Beam's Flink job server (both
# started here, stopped by PID on exit, even on failure), generated sensor and
# review streams produced to Kafka, both pipelines submitted to Flink
# (--runner=flink --environment_type=LOOPBACK), and their Kafka outputs checked
# against the same pipelines run on prism over the same files.
#
#  1. anomalies (the article's threshold), streaming: an unbounded Kafka read while the input is still
#     being produced; the script shows the first anomalies arriving before the
#     producer is done, kills the job mid-stream and resubmits it from the
#     consumer group's committed offsets, waits for the exact expected set
#     (duplicates from the replay are counted: delivery is at least once),
#     then stops the job.
#  2. themes, bounded (--bounded): the enriched reviews and the theme counts
#     must equal prism's exactly.
#  3. anomalies with the default learned ensemble, bounded: equal to prism's.
# Exits non-zero on any difference. Usage: scripts/e2e-flink.sh
set -euo pipefail
cd "$(dirname "$0")/.."
root="$PWD"
work="${BEAMLENS_RUN_DIR:-$root/.run}/e2e-flink"
rm -rf "$work"; mkdir -p "$work"
brokers=127.0.0.1:${KAFKA_PORT:-9092}
run_id="$(date +%s)"
started=()
job_pid=""

cleanup() {
  local rc=$?
  if [ -n "$job_pid" ] && kill -0 "$job_pid" 2>/dev/null; then
    kill -INT "$job_pid" 2>/dev/null || true; sleep 2; kill -KILL "$job_pid" 2>/dev/null || true
  fi
  for svc in "${started[@]}"; do scripts/"$svc".sh stop >/dev/null 2>&1 || true; done
  [ "$rc" = 0 ] && echo "e2e-flink: PASS" || echo "e2e-flink: FAIL (logs in $work)"
  exit "$rc"
}
trap cleanup EXIT

say() { echo "e2e-flink [$(date +%H:%M:%S)]: $*"; }

# The job server we start checkpoints every 5 s: Flink configuration goes to
# the job server (scripts/flink.sh FLINK_CHECKPOINT_INTERVAL), and the
# streaming run below checks that Flink took checkpoints.
# The job killed mid-stream below loses its loopback workers for good: two
# restarts, then Flink gives up on it (the default with checkpointing on is to
# restart forever).
export FLINK_CHECKPOINT_INTERVAL="${FLINK_CHECKPOINT_INTERVAL:-5s}"
export FLINK_CONF="${FLINK_CONF:-$'restart-strategy.type: fixed-delay\nrestart-strategy.fixed-delay.attempts: 2\nrestart-strategy.fixed-delay.delay: 2s'}"
for svc in kafka flink; do
  if ! scripts/$svc.sh status >/dev/null 2>&1; then
    say "starting $svc"; scripts/$svc.sh start >"$work/$svc-start.log" 2>&1 || { cat "$work/$svc-start.log"; exit 1; }
    started+=("$svc")
  fi
done
flink_log="$(scripts/flink.sh env | sed -n 's/^LOG_FILE=//p')"
flink_log_from=$(stat -c %s "$flink_log" 2>/dev/null || echo 0)

say "building beamlens and topictool"
go build -o "$work/beamlens" ./cmd/beamlens
go build -o "$work/topictool" ./scripts/e2e/topictool
bl="$work/beamlens"; tt="$work/topictool"
flink=(--runner=flink --endpoint=localhost:${JOB_PORT:-8099} --environment_type=LOOPBACK)

"$bl" gen sensors --n=20000 --seed=3 --out="$work/sensors.jsonl"
"$bl" gen reviews --n=3000 --seed=3 --out="$work/reviews.jsonl"

say "expected results: the same pipelines on prism over the files"
"$bl" anomalies --detectors=threshold --input="$work/sensors.jsonl" --output="$work/prism-anomalies" --overwrite 2>"$work/prism-anomalies.log"
"$bl" anomalies --input="$work/sensors.jsonl" --output="$work/prism-ensemble" --overwrite 2>"$work/prism-ensemble.log"
"$bl" themes --llm=offline --input="$work/reviews.jsonl" --output="$work/prism-themes" --overwrite 2>"$work/prism-themes.log"
ids() { python3 -c 'import sys,json; [print(json.loads(l)["reading_id"]) for l in sys.stdin if l.strip()]'; }
ids <"$work/prism-anomalies/anomalies.jsonl" | sort >"$work/expected-anomalies.txt"
want=$(wc -l <"$work/expected-anomalies.txt")
say "expecting $want anomalies"

# 1. Streaming anomalies.
in_topic="e2e_sensor_data_$run_id"; out_topic="e2e_sensor_anomalies_$run_id"
scripts/kafka.sh topic "$in_topic" 3 >/dev/null
submit_anomalies() { # start position
  "$bl" anomalies --detectors=threshold --input="kafka://$brokers/$in_topic" --kafka-start="$1" --kafka-group="e2e_$run_id" \
    --output="kafka://$brokers/$out_topic" "${flink[@]}" >>"$work/flink-anomalies.out" 2>>"$work/flink-anomalies.log" &
  job_pid=$!
}
submit_anomalies earliest
say "anomaly job submitted to Flink (unbounded read); producing 20 chunks of 1,000 readings, 1 s apart"
"$tt" produce --brokers="$brokers" --topic="$in_topic" --file="$work/sensors.jsonl" --chunk=1000 --pause=1s 2>"$work/produce.log" &
producer=$!
first_seen=""
killed=""
deadline=$((SECONDS + 240))
got=0
while [ $SECONDS -lt $deadline ]; do
  kill -0 "$job_pid" 2>/dev/null || { say "the anomaly job exited early"; tail -20 "$work/flink-anomalies.log"; exit 1; }
  # Distinct reading ids: a replay after the kill duplicates some.
  got=$( { "$tt" dump --brokers="$brokers" --topic="$out_topic" 2>/dev/null || true; } | ids | sort -u | wc -l)
  if [ "$got" -gt 0 ] && [ -z "$first_seen" ]; then
    if kill -0 "$producer" 2>/dev/null; then first_seen="while the producer was still running"; else first_seen="after the producer finished"; fi
    say "first anomalies on $out_topic ($got) $first_seen"
  fi
  if [ -z "$killed" ] && [ "$got" -gt 0 ] && kill -0 "$producer" 2>/dev/null; then
    # Kill the job mid-stream (its loopback workers die with the client) and
    # resubmit from the consumer group's committed offsets.
    sleep 3
    say "killing the job mid-stream ($got anomalies so far) and resubmitting from committed offsets"
    kill -KILL "$job_pid" 2>/dev/null || true; wait "$job_pid" 2>/dev/null || true
    killed=1
    sleep 3
    submit_anomalies committed
  fi
  if [ "$got" -ge "$want" ] && ! kill -0 "$producer" 2>/dev/null; then break; fi
  sleep 2
done
wait "$producer"
if [[ " ${started[*]} " == *" flink "* ]]; then
  # Stop only after the resubmitted job has completed a checkpoint (up to 60 s).
  for _ in $(seq 60); do
    tail -c +$((flink_log_from + 1)) "$flink_log" | grep -q "Completed checkpoint" && break
    sleep 1
  done
fi
"$tt" dump --brokers="$brokers" --topic="$out_topic" | ids | sort >"$work/flink-anomalies.txt"
say "stopping the streaming job (SIGINT: beamlens cancels it through the job service)"
kill -INT "$job_pid" 2>/dev/null || true
stop_rc=0; wait "$job_pid" || stop_rc=$?
job_pid=""
grep -q "stopped: the runner confirmed the job cancelled" "$work/flink-anomalies.log" && [ "$stop_rc" = 0 ] \
  || { say "the job did not stop cleanly (exit $stop_rc)"; tail -20 "$work/flink-anomalies.log"; exit 1; }
say "job cancelled cleanly"
if [[ " ${started[*]} " == *" flink "* ]]; then
  ckpts=$(tail -c +$((flink_log_from + 1)) "$flink_log" | grep -c "Completed checkpoint" || true)
  [ "$ckpts" -gt 0 ] || { say "no Flink checkpoint completed with FLINK_CHECKPOINT_INTERVAL=$FLINK_CHECKPOINT_INTERVAL"; exit 1; }
  say "Flink completed $ckpts checkpoints (interval $FLINK_CHECKPOINT_INTERVAL, set through the job server's --flink-conf-dir)"
fi
dups=$(uniq -d "$work/flink-anomalies.txt" | wc -l)
if ! diff <(sort -u "$work/flink-anomalies.txt") "$work/expected-anomalies.txt" >"$work/anomalies.diff"; then
  say "anomalies differ from prism's:"; head -20 "$work/anomalies.diff"; exit 1
fi
say "anomalies: $(sort -u "$work/flink-anomalies.txt" | wc -l) distinct, equal to prism's; $dups duplicates (at-least-once)"
[ "$first_seen" = "while the producer was still running" ] || { say "output only appeared $first_seen: not streaming"; exit 1; }

# 2. Bounded themes.
rin="e2e_product_reviews_$run_id"; rout="e2e_reviews_with_themes_$run_id"
scripts/kafka.sh topic "$rin" 2 >/dev/null
"$tt" produce --brokers="$brokers" --topic="$rin" --file="$work/reviews.jsonl" 2>>"$work/produce.log"
# The counts go to <output topic>.theme_counts, this run's own topic.
counts_before=0
say "themes job on Flink (bounded read)"
"$bl" themes --llm=offline --bounded --input="kafka://$brokers/$rin" --output="kafka://$brokers/$rout" "${flink[@]}" \
  2>"$work/flink-themes.log" || { tail -20 "$work/flink-themes.log"; exit 1; }
norm_reviews() { python3 -c 'import sys,json
for l in sys.stdin:
    if l.strip():
        r=json.loads(l); print(r["review_id"], "|".join(r["themes"]))' | sort; }
norm_counts() { python3 -c 'import sys,json
for l in sys.stdin:
    if l.strip():
        r=json.loads(l); print(r["window_start"], r["theme"], r["count"], r.get("rank"))' | sort; }
diff <("$tt" dump --brokers="$brokers" --topic="$rout" | norm_reviews) <(norm_reviews <"$work/prism-themes/reviews_with_themes.jsonl") >"$work/reviews.diff" \
  || { say "reviews with themes differ:"; head "$work/reviews.diff"; exit 1; }
diff <("$tt" dump --brokers="$brokers" --topic="$rout.theme_counts" | tail -n +$((counts_before + 1)) | norm_counts) <(norm_counts <"$work/prism-themes/theme_counts.jsonl") >"$work/counts.diff" \
  || { say "theme counts differ:"; head "$work/counts.diff"; exit 1; }
say "themes: $(wc -l <"$work/prism-themes/reviews_with_themes.jsonl") enriched reviews and $(wc -l <"$work/prism-themes/theme_counts.jsonl") theme counts equal to prism's"

# 3. The default ensemble of learned detectors, bounded, over the same topic.
eout="e2e_sensor_ensemble_$run_id"
say "anomalies with the default ensemble on Flink (bounded read)"
"$bl" anomalies --bounded --input="kafka://$brokers/$in_topic" --kafka-group="e2e_ens_$run_id" \
  --output="kafka://$brokers/$eout" "${flink[@]}" 2>"$work/flink-ensemble.log" || { tail -20 "$work/flink-ensemble.log"; exit 1; }
ids <"$work/prism-ensemble/anomalies.jsonl" | sort >"$work/expected-ensemble.txt"
diff <("$tt" dump --brokers="$brokers" --topic="$eout" | ids | sort) "$work/expected-ensemble.txt" >"$work/ensemble.diff" \
  || { say "ensemble anomalies differ from prism's:"; head "$work/ensemble.diff"; exit 1; }
say "ensemble: $(wc -l <"$work/expected-ensemble.txt") anomalies equal to prism's"
