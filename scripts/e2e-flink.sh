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
# Exits non-zero on any difference. Usage: scripts/e2e-flink.sh [--cluster]
# --cluster runs instead the session-cluster checks described at "--cluster" below
# (workers on the TaskManagers, a TaskManager killed, a savepoint and a resume).
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

# start_services starts Kafka and Flink where they do not run yet; those it
# started are stopped at the end (started).
start_services() {
  local svc
  for svc in kafka flink; do
    if ! scripts/$svc.sh status >/dev/null 2>&1; then
      say "starting $svc"; scripts/$svc.sh start >"$work/$svc-start.log" 2>&1 || { cat "$work/$svc-start.log"; exit 1; }
      started+=("$svc")
    fi
  done
}
ids() { python3 -c 'import sys,json; [print(json.loads(l)["reading_id"]) for l in sys.stdin if l.strip()]'; }

# ---------------------------------------------------------------- --cluster
# The streaming anomaly job on a session cluster (scripts/flink.sh FLINK_MODE=cluster:
# a JobManager and two TaskManagers, each its own JVM), its Go workers started by the
# TaskManagers (PROCESS environment), reading and writing Kafka. The input is
# `beamlens gen sensors --n=20000 --seed=1` (with its malformed lines), produced while
# the job runs, keyed by device as a real producer would (a device's readings stay in one
# partition, in order: window statistics judge lateness by each device's own newest
# reading, so a replay spread over partitions without keys makes most of them late):
#  1. submitted with --async: the client exits, the job runs on; the Go workers are
#     descendants of TaskManager processes, none of the client's;
#  2. one TaskManager is killed with SIGKILL mid-stream: Flink restarts the job from its
#     last checkpoint on the surviving slots; the anomalies are exactly prism's (the
#     output is at least once: duplicates are counted); every window statistic emitted
#     holds prism's count in its newest pane, none is missing but the last of a series
#     (still open), duplicated panes are counted and bounded, and per metric the window
#     counts plus the window_stats dead letters add up to the readings that carried it;
#     the decode dead letters are prism's, line for line (scripts/e2e/check_stats.py);
#  3. stop with a savepoint, a second stretch of the same devices (two days later)
#     produced meanwhile, resumed from the savepoint with --flink-savepoint: the union of
#     the runs' anomalies and window statistics is prism's over all the input (no gap:
#     the windows left open at the savepoint are completed by the resumed job);
#  4. an out-of-order stream (two partitions, each in order, one produced far ahead of
#     the other) with --reorder=1s and --device-state-ttl=1h under the learned
#     detectors: the anomalies are exactly prism's over the file (event-time order);
#     a reading of another device two days on moves the watermark past every device's
#     TTL: the job's counters (read from Flink once it is cancelled) say the scorer and
#     the window statistics dropped the state of every device. (The resumed job of 3
#     must have dropped none: no device there is silent for the default 24 h TTL.)
if [ "${1:-}" = --cluster ]; then
  export FLINK_MODE=cluster
  export FLINK_TASKMANAGERS="${FLINK_TASKMANAGERS:-2}" FLINK_SLOTS="${FLINK_SLOTS:-2}"
  export FLINK_CHECKPOINT_INTERVAL="${FLINK_CHECKPOINT_INTERVAL:-5s}"
  start_services
  # A cluster left by an earlier run may miss the TaskManager that run killed.
  scripts/flink.sh start >>"$work/flink-start.log" 2>&1 || { cat "$work/flink-start.log"; exit 1; }
  eval "$(scripts/flink.sh env | grep -E '^(FLINK_REST_PORT|CLUSTER_DIR|FLINK_MODE)=')"
  [ "$FLINK_MODE" = cluster ] || { say "a job server in embedded mode already runs on port ${JOB_PORT:-8099}: stop it first"; exit 1; }
  rest="http://127.0.0.1:$FLINK_REST_PORT"
  jm_log="$CLUSTER_DIR/jobmanager.log"
  say "cluster: $(scripts/flink.sh status | tail -n +2 | awk '{print $1"="$3}' | tr '\n' ' ')"

  say "building beamlens and topictool"
  go build -o "$work/beamlens" ./cmd/beamlens
  go build -o "$work/topictool" ./scripts/e2e/topictool
  bl="$work/beamlens"; tt="$work/topictool"; check="$root/scripts/e2e/check_stats.py"
  cl=(--runner=flink --endpoint="localhost:${JOB_PORT:-8099}" --environment_type=PROCESS
    --environment_config="{\"command\":\"$CLUSTER_DIR/worker.sh\"}" --async)
  "$bl" gen sensors --n=20000 --seed=1 --out="$work/sensors.jsonl"
  # The same devices two days on (after the first stretch's 33 h), for the resumed run.
  sed -e 's/2025-01-02T/2025-01-04T/g' -e 's/2025-01-01T/2025-01-03T/g' -e 's/"reading_id":"r-/"reading_id":"d2-/g' \
    "$work/sensors.jsonl" >"$work/sensors2.jsonl"
  cat "$work/sensors.jsonl" "$work/sensors2.jsonl" >"$work/sensors12.jsonl"
  say "expected results: prism over the files"
  "$bl" anomalies --detectors=threshold --input="$work/sensors.jsonl" --output="$work/prism1" 2>"$work/prism1.log"
  "$bl" anomalies --detectors=threshold --input="$work/sensors12.jsonl" --output="$work/prism12" 2>"$work/prism12.log"
  ids <"$work/prism1/anomalies.jsonl" | sort >"$work/expected1.txt"
  ids <"$work/prism12/anomalies.jsonl" | sort >"$work/expected12.txt"
  want=$(wc -l <"$work/expected1.txt"); want12=$(wc -l <"$work/expected12.txt")
  say "expecting $want anomalies, $(wc -l <"$work/prism1/window_stats.jsonl") window statistics and $(wc -l <"$work/prism1/deadletters.jsonl") dead letters (then $want12 anomalies over both stretches)"

  running_job() { # prints the id of the one RUNNING job, if any
    curl -fsS "$rest/jobs/overview" | python3 -c 'import sys,json
j=[j["jid"] for j in json.load(sys.stdin)["jobs"] if j["state"]=="RUNNING"]
print(j[0] if len(j)==1 else "")'; }
  ckpt() { # FIELD of the job's checkpoint counts: completed, restored, ...
    curl -fsS "$rest/jobs/$1/checkpoints" | python3 -c 'import sys,json; print(json.load(sys.stdin)["counts"]["'"$2"'"])'; }
  descendants() { # all descendant PIDs of $1
    local c; for c in $(pgrep -P "$1"); do echo "$c"; descendants "$c"; done; }
  tm_pid() { tr -dc '0-9' <"$CLUSTER_DIR/taskmanager-$1.pid"; }
  dump() { "$tt" dump --brokers="$brokers" --topic="$1" 2>/dev/null || true; }
  distinct() { dump "$1" | ids | sort -u | wc -l; }
  cancel_running() { local j; j="$(running_job || true)"; [ -z "$j" ] || curl -fsS -X PATCH "$rest/jobs/$j?mode=cancel" >/dev/null || true; }
  wait_running() { # prints the running job's id once it differs from $1 (up to 90 s)
    local j=""; for _ in $(seq 90); do j="$(running_job)"; [ -n "$j" ] && [ "$j" != "${1:-}" ] && break; j=""; sleep 1; done; echo "$j"; }
  # settle TOPIC SECONDS: waits (up to SECONDS) until the topic has records and stops
  # growing over two polls 6 s apart.
  settle() { local deadline=$((SECONDS + $2)) last=-1 n; while [ $SECONDS -lt $deadline ]; do
    n=$(dump "$1" | wc -l); [ "$n" -gt 0 ] && [ "$n" = "$last" ] && return 0; last=$n; sleep 6; done; }
  stop_job() { # cancels job $1 and waits until Flink reports it ended (its counters are final then)
    curl -fsS -X PATCH "$rest/jobs/$1?mode=cancel" >/dev/null || true
    for _ in $(seq 60); do curl -fsS "$rest/jobs/$1" | grep -q '"state":"\(CANCELED\|FINISHED\|FAILED\)"' && return 0; sleep 1; done; }
  # counters JOB: the Beam counters of an ended job ("name value", summed over steps), from the
  # Flink accumulator Beam's runner fills when the job's tasks end.
  counters() { python3 - "$rest" "$1" <<'PY'
import base64, json, sys, urllib.request
rest, job = sys.argv[1], sys.argv[2]
d = json.load(urllib.request.urlopen("%s/jobs/%s/accumulators" % (rest, job), timeout=10))
def varint(b):
    v = s = 0
    for x in b:
        v |= (x & 0x7F) << s
        s += 7
        if not x & 0x80:
            break
    return v
tot = {}
for a in d["user-task-accumulators"]:
    if a["name"] == "__metricscontainers":
        for m in json.loads(a["value"])["metrics"]["attempted"]:
            if m["urn"] == "beam:metric:user:sum_int64:v1":
                n = m["labels"]["NAME"]
                tot[n] = tot.get(n, 0) + varint(base64.b64decode(m["payload"]))
for k in sorted(tot):
    print(k, tot[k])
PY
  }
  # diagnose prints, on a failure, what the cluster knows: each job's state and vertex states,
  # the newest root exceptions, the processes below the TaskManagers, the worker
  # wrappers' directories, the TaskManagers' environment and error lines, and free disk
  # (a failure on CI leaves only this output behind).
  diagnose() {
    say "diagnostics: jobs, vertices, exceptions, processes, worker directories, disk"
    local j
    for j in $(curl -fsS "$rest/jobs/overview" 2>/dev/null | python3 -c 'import sys,json; [print(j["jid"]) for j in json.load(sys.stdin)["jobs"]]' 2>/dev/null); do
      curl -fsS "$rest/jobs/$j" 2>/dev/null | python3 -c 'import sys,json
d=json.load(sys.stdin); print("job", d["jid"], d["state"])
for v in d["vertices"]: print("  ", v["status"], v["name"][:90], v["tasks"])' 2>/dev/null
      curl -fsS "$rest/jobs/$j/exceptions?maxExceptions=3" 2>/dev/null | python3 -c 'import sys,json
d=json.load(sys.stdin)
for e in d.get("exceptionHistory",{}).get("entries",[])[:3]: print("  exception:", e.get("exceptionName"), (e.get("stacktrace") or "")[:600])' 2>/dev/null
    done
    local i; for i in $(seq 1 "$FLINK_TASKMANAGERS"); do
      echo "taskmanager-$i pid $(tm_pid "$i" 2>/dev/null):"
      for p in $(descendants "$(tm_pid "$i" 2>/dev/null)" 2>/dev/null); do
        echo "   $p $(readlink "/proc/$p/exe" 2>/dev/null) $(tr '\0' ' ' <"/proc/$p/cmdline" 2>/dev/null | cut -c1-160)"
      done
      grep -E "environment|boot|ERROR|Exception" "$CLUSTER_DIR/taskmanager-$i.log" 2>/dev/null | tail -15 | cut -c1-400
    done
    ls -la "$CLUSTER_DIR/workers" 2>/dev/null; ls -d /tmp/bin* 2>/dev/null | head
    df -h "$CLUSTER_DIR" /tmp 2>/dev/null
  }
  trap 'rc_=$?; set +e; [ "$rc_" = 0 ] || diagnose; cancel_running; (exit $rc_); cleanup' EXIT
  [ -z "$(running_job)" ] || { say "the cluster already runs a job: this test needs it to itself"; exit 1; }

  in_topic="e2e_cluster_in_$run_id"; out_topic="e2e_cluster_out_$run_id"
  # The side streams follow the output topic; dead letters go to <input topic>.dlq.
  stats_topic="$out_topic.window_stats"; dlq_topic="$in_topic.dlq"
  scripts/kafka.sh topic "$in_topic" 2 >/dev/null
  submit() { # extra flags...
    "$bl" anomalies --detectors=threshold --input="kafka://$brokers/$in_topic" --kafka-start=earliest \
      --kafka-group="e2e_cluster_$run_id" --output="kafka://$brokers/$out_topic" "${cl[@]}" "$@" \
      >>"$work/submit.out" 2>>"$work/submit.log"
  }
  say "submitting the anomaly job to the cluster (--async: the client exits once it is submitted)"
  t0=$SECONDS
  submit || { tail -20 "$work/submit.log"; exit 1; }
  grep -q "it runs on without this process" "$work/submit.log" || { say "the client did not report an async submission"; exit 1; }
  job="$(wait_running)"
  [ -n "$job" ] || { say "no running job on the cluster after submission"; exit 1; }
  say "client exited after $((SECONDS - t0))s; job $job RUNNING on the cluster"

  # The first quarter now; the rest once the workers run, so that the kill lands mid-stream.
  head -n 5000 "$work/sensors.jsonl" >"$work/sensors-a.jsonl"; tail -n +5001 "$work/sensors.jsonl" >"$work/sensors-b.jsonl"
  say "producing 5,000 readings; the other 15,000 once the workers run"
  "$tt" produce --brokers="$brokers" --topic="$in_topic" --key-field=device_id --file="$work/sensors-a.jsonl" --chunk=1000 --pause=1s 2>"$work/produce.log" &
  producer=$!
  # Workers: the staged beamlens binaries the boot program runs, below the TaskManagers.
  # Each boot program fetches the ~380 MB binary and copies it twice before it starts
  # the worker (~10 s here): a slow disk gets 5 minutes.
  deadline=$((SECONDS + 300))
  workers=""
  while [ $SECONDS -lt $deadline ]; do
    workers=""
    for i in $(seq 1 "$FLINK_TASKMANAGERS"); do
      for p in $(descendants "$(tm_pid "$i")"); do
        [ "$(readlink "/proc/$p/exe" 2>/dev/null)" = "$CLUSTER_DIR/boot" ] && continue
        tr '\0' ' ' 2>/dev/null <"/proc/$p/cmdline" | grep -q -- "--worker" && workers+="tm$i:$p "
      done
    done
    [ -n "$workers" ] && [ "$(distinct "$out_topic")" -gt 0 ] && break
    sleep 2
  done
  [ -n "$workers" ] || { say "no Go worker process below any TaskManager"; exit 1; }
  stray=$(pgrep -f -- "$work/beamlens anomalies" || true)
  [ -z "$stray" ] || { say "a beamlens client process still runs ($stray)"; exit 1; }
  say "Go workers below the TaskManagers: $workers(none left of the client); first anomalies out"
  wait "$producer"
  say "producing the other 15,000 readings in chunks of 1,000, 2 s apart"
  "$tt" produce --brokers="$brokers" --topic="$in_topic" --key-field=device_id --file="$work/sensors-b.jsonl" --chunk=1000 --pause=2s 2>>"$work/produce.log" &
  producer=$!

  # Kill a TaskManager that runs a worker, once a checkpoint has completed.
  sleep 6
  for _ in $(seq 90); do [ "$(ckpt "$job" completed)" -ge 1 ] && break; sleep 1; done
  [ "$(ckpt "$job" completed)" -ge 1 ] || { say "no checkpoint completed within 90 s"; exit 1; }
  victim="${workers%%:*}"; victim="${victim#tm}"
  vpid=$(tm_pid "$victim")
  before=$(distinct "$out_topic")
  kill -0 "$producer" 2>/dev/null || say "warning: the producer already finished before the kill"
  say "SIGKILL TaskManager $victim (pid $vpid) mid-stream: $before anomalies so far, $(ckpt "$job" completed) checkpoints completed"
  kill -KILL "$vpid"
  deadline=$((SECONDS + 240))
  while [ $SECONDS -lt $deadline ]; do
    [ "$(ckpt "$job" restored 2>/dev/null || echo 0)" -ge 1 ] && [ "$(running_job)" = "$job" ] && break
    sleep 2
  done
  [ "$(ckpt "$job" restored)" -ge 1 ] || { say "the job did not restore from a checkpoint"; tail -20 "$jm_log"; exit 1; }
  say "job restored from checkpoint $(curl -fsS "$rest/jobs/$job/checkpoints" | python3 -c 'import sys,json; print(json.load(sys.stdin)["latest"]["restored"]["id"])') on the surviving TaskManager(s), $((SECONDS - t0))s since submission"
  wait "$producer"
  deadline=$((SECONDS + 300))
  while [ $SECONDS -lt $deadline ] && [ "$(distinct "$out_topic")" -lt "$want" ]; do sleep 3; done
  settle "$stats_topic" 120
  dump "$out_topic" | ids | sort >"$work/cluster-anomalies.txt"
  dump "$stats_topic" >"$work/cluster-stats.jsonl"
  dump "$dlq_topic" >"$work/cluster-dead.jsonl"
  dups=$(uniq -d "$work/cluster-anomalies.txt" | wc -l)
  diff <(sort -u "$work/cluster-anomalies.txt") "$work/expected1.txt" >"$work/anomalies.diff" \
    || { say "anomalies differ from prism's:"; head -20 "$work/anomalies.diff"; exit 1; }
  say "after the TaskManager kill: $want anomalies equal to prism's ($dups duplicated: at least once)"
  failed=""
  if out=$(python3 "$check" "$work/prism1/window_stats.jsonl" "$work/prism1/deadletters.jsonl" \
      "$work/cluster-stats.jsonl" "$work/cluster-dead.jsonl"); then
    say "window statistics and dead letters after the kill: $out"
  else
    # Reported; the run fails at the end, after the savepoint checks.
    failed="window statistics after the TaskManager kill: $out"
    say "FAILED: $failed"
  fi

  say "starting TaskManager $victim again (scripts/flink.sh start)"
  scripts/flink.sh start >>"$work/flink-start.log" 2>&1 || { cat "$work/flink-start.log"; exit 1; }

  say "stop with a savepoint"
  sp=$(scripts/flink.sh savepoint 2>>"$work/savepoint.log" | sed -n 's/^SAVEPOINT=//p')
  [ -n "$sp" ] || { cat "$work/savepoint.log"; exit 1; }
  say "savepoint $sp; producing the second stretch while no job runs"
  "$tt" produce --brokers="$brokers" --topic="$in_topic" --key-field=device_id --file="$work/sensors2.jsonl" 2>>"$work/produce.log"
  submit --flink-savepoint="$sp" || { tail -20 "$work/submit.log"; exit 1; }
  job2="$(wait_running "$job")"
  [ -n "$job2" ] || { say "the resumed job is not running"; exit 1; }
  deadline=$((SECONDS + 300))
  while [ $SECONDS -lt $deadline ] && [ "$(distinct "$out_topic")" -lt "$want12" ]; do sleep 3; done
  settle "$stats_topic" 120
  [ "$(ckpt "$job2" restored)" -ge 1 ] || { say "the resumed job did not start from the savepoint"; exit 1; }
  dump "$out_topic" | ids | sort >"$work/cluster-anomalies12.txt"
  dump "$stats_topic" >"$work/cluster-stats12.jsonl"
  dump "$dlq_topic" >"$work/cluster-dead12.jsonl"
  diff <(sort -u "$work/cluster-anomalies12.txt") "$work/expected12.txt" >"$work/anomalies12.diff" \
    || { say "anomalies of both runs differ from prism's:"; head -20 "$work/anomalies12.diff"; exit 1; }
  say "resumed from the savepoint: both runs together gave the $want12 anomalies prism gives over both stretches ($(uniq -d "$work/cluster-anomalies12.txt" | wc -l) duplicated), no gap"
  if out=$(python3 "$check" "$work/prism12/window_stats.jsonl" "$work/prism12/deadletters.jsonl" \
      "$work/cluster-stats12.jsonl" "$work/cluster-dead12.jsonl"); then
    say "window statistics and dead letters of both runs: $out"
  else
    failed="${failed:+$failed; }window statistics across the savepoint: $out"
    say "FAILED: window statistics across the savepoint: $out"
  fi
  stop_job "$job2"
  counters "$job2" >"$work/counters-resumed.txt"
  ws_expired=$(awk '$1 == "window_stats_device_states_expired" {print $2}' "$work/counters-resumed.txt")
  [ "${ws_expired:-0}" = 0 ] || { say "the resumed job dropped the state of ${ws_expired} devices (none was silent for the 24 h TTL)"; exit 1; }
  say "the resumed job dropped no device state (window_stats_device_states_expired=0: no device was silent for the 24 h TTL across the savepoint)"

  # 4. Out of order across partitions, --reorder and a device-state TTL.
  say "reorder and TTL: an out-of-order stream (the second half of its event time produced to partition 1 before the first half to partition 0)"
  "$bl" gen sensors --n=6000 --seed=5 --out="$work/ooo.jsonl"
  # A reading of a device "clock" two days on, last in each partition, moves the
  # watermark past every pane and every other device's TTL.
  echo '{"device_id":"clock","timestamp":"2025-01-03T00:00:00Z","temperature":60,"reading_id":"clock-0"}' >"$work/clock0.jsonl"
  echo '{"device_id":"clock","timestamp":"2025-01-03T00:00:01Z","temperature":60,"reading_id":"clock-1"}' >"$work/clock1.jsonl"
  { head -n 3000 "$work/ooo.jsonl"; cat "$work/clock0.jsonl"; } >"$work/ooo-p0.jsonl"
  { tail -n +3001 "$work/ooo.jsonl"; cat "$work/clock1.jsonl"; } >"$work/ooo-p1.jsonl"
  cat "$work/ooo.jsonl" "$work/clock0.jsonl" "$work/clock1.jsonl" >"$work/ooo-all.jsonl"
  ttl=(--reorder=1s --device-state-ttl=1h)
  "$bl" anomalies "${ttl[@]}" --input="$work/ooo-all.jsonl" --output="$work/prism-ooo" 2>"$work/prism-ooo.log"
  ids <"$work/prism-ooo/anomalies.jsonl" | grep -v '^clock' | sort >"$work/expected-ooo.txt"
  want_ooo=$(wc -l <"$work/expected-ooo.txt")
  devices=$(python3 -c 'import sys,json; print(len({json.loads(l)["device_id"] for l in sys.stdin} - {"clock"}))' <"$work/prism-ooo/window_stats.jsonl")
  ooo_in="e2e_cluster_ooo_$run_id"; ooo_out="e2e_cluster_ooo_out_$run_id"
  scripts/kafka.sh topic "$ooo_in" 2 >/dev/null
  "$tt" produce --brokers="$brokers" --topic="$ooo_in" --partition=1 --file="$work/ooo-p1.jsonl" 2>>"$work/produce.log"
  "$tt" produce --brokers="$brokers" --topic="$ooo_in" --partition=0 --file="$work/ooo-p0.jsonl" 2>>"$work/produce.log"
  "$bl" anomalies "${ttl[@]}" --input="kafka://$brokers/$ooo_in" --kafka-start=earliest --kafka-group="e2e_ooo_$run_id" \
    --output="kafka://$brokers/$ooo_out" "${cl[@]}" >>"$work/submit.out" 2>>"$work/submit.log" || { tail -20 "$work/submit.log"; exit 1; }
  job3="$(wait_running "$job2")"
  [ -n "$job3" ] || { say "the reorder job is not running"; exit 1; }
  deadline=$((SECONDS + 300))
  while [ $SECONDS -lt $deadline ] && [ "$(dump "$ooo_out" | ids | grep -v '^clock' | sort -u | wc -l)" -lt "$want_ooo" ]; do sleep 3; done
  settle "$ooo_out" 60
  dump "$ooo_out" | ids | grep -v '^clock' | sort >"$work/cluster-ooo.txt"
  diff <(sort -u "$work/cluster-ooo.txt") "$work/expected-ooo.txt" >"$work/ooo.diff" \
    || { say "--reorder on the cluster: anomalies differ from prism's:"; head -20 "$work/ooo.diff"; exit 1; }
  say "--reorder=1s on the cluster, out of order across partitions: the $want_ooo anomalies prism gives over the file in event-time order ($(uniq -d "$work/cluster-ooo.txt" | wc -l) duplicated)"
  stop_job "$job3"
  counters "$job3" >"$work/counters-ooo.txt"
  expired=$(awk '$1 == "device_states_expired" {print $2}' "$work/counters-ooo.txt")
  ws_expired=$(awk '$1 == "window_stats_device_states_expired" {print $2}' "$work/counters-ooo.txt")
  [ "${expired:-0}" = "$devices" ] && [ "${ws_expired:-0}" = "$devices" ] \
    || { say "TTL 1h: expected the state of all $devices devices dropped, the job's counters say device_states_expired=${expired:-0}, window_stats_device_states_expired=${ws_expired:-0}"; exit 1; }
  say "TTL 1h: the job's counters (Flink accumulators): device_states_expired=$expired, window_stats_device_states_expired=$ws_expired: the state of all $devices devices dropped on Flink"
  say "cluster e2e took $((SECONDS - t0))s from the first submission"
  [ -z "$failed" ] || { say "FAILED: $failed"; exit 1; }
  exit 0
fi

# The job server we start checkpoints every 5 s: Flink configuration goes to
# the job server (scripts/flink.sh FLINK_CHECKPOINT_INTERVAL), and the
# streaming run below checks that Flink took checkpoints.
# The job killed mid-stream below loses its loopback workers for good: two
# restarts, then Flink gives up on it (the default with checkpointing on is to
# restart forever).
export FLINK_CHECKPOINT_INTERVAL="${FLINK_CHECKPOINT_INTERVAL:-5s}"
export FLINK_CONF="${FLINK_CONF:-$'restart-strategy.type: fixed-delay\nrestart-strategy.fixed-delay.attempts: 2\nrestart-strategy.fixed-delay.delay: 2s'}"
start_services
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
# The first 1,000 readings now, the rest once the job reads: a job can take a minute to
# start on a loaded machine, and the stream must still be running when output appears.
head -n 1000 "$work/sensors.jsonl" >"$work/sensors-first.jsonl"; tail -n +1001 "$work/sensors.jsonl" >"$work/sensors-rest.jsonl"
"$tt" produce --brokers="$brokers" --topic="$in_topic" --key-field=device_id --file="$work/sensors-first.jsonl" 2>"$work/produce.log"
say "anomaly job submitted to Flink (unbounded read); 1,000 readings produced, waiting for the job to read"
for _ in $(seq 180); do
  grep -q "running on flink .*: [1-9][0-9]* records read" "$work/flink-anomalies.log" 2>/dev/null && break
  kill -0 "$job_pid" 2>/dev/null || { say "the anomaly job exited early"; tail -20 "$work/flink-anomalies.log"; exit 1; }
  sleep 1
done
say "the job reads; producing the other 19 chunks of 1,000 readings, 1 s apart"
"$tt" produce --brokers="$brokers" --topic="$in_topic" --key-field=device_id --file="$work/sensors-rest.jsonl" --chunk=1000 --pause=1s 2>>"$work/produce.log" &
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
  --output="kafka://$brokers/$eout" --dead-letter="$eout.dlq" "${flink[@]}" 2>"$work/flink-ensemble.log" || { tail -20 "$work/flink-ensemble.log"; exit 1; }
ids <"$work/prism-ensemble/anomalies.jsonl" | sort >"$work/expected-ensemble.txt"
diff <("$tt" dump --brokers="$brokers" --topic="$eout" | ids | sort) "$work/expected-ensemble.txt" >"$work/ensemble.diff" \
  || { say "ensemble anomalies differ from prism's:"; head "$work/ensemble.diff"; exit 1; }
say "ensemble: $(wc -l <"$work/expected-ensemble.txt") anomalies equal to prism's"
# The same bounded replay (with the file's malformed lines) gives prism's window statistics
# record for record, and the same decode dead letters: every window closes at the end of a
# bounded read, so nothing may be pending (issue #21).
"$tt" dump --brokers="$brokers" --topic="$eout.window_stats" >"$work/flink-ensemble-stats.jsonl"
"$tt" dump --brokers="$brokers" --topic="$eout.dlq" >"$work/flink-ensemble-dead.jsonl"
out=$(python3 scripts/e2e/check_stats.py --exact "$work/prism-ensemble/window_stats.jsonl" "$work/prism-ensemble/deadletters.jsonl" \
  "$work/flink-ensemble-stats.jsonl" "$work/flink-ensemble-dead.jsonl") || { say "ensemble window statistics differ from prism's: $out"; exit 1; }
say "ensemble window statistics: $out"
