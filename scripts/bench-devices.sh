#!/usr/bin/env bash
# Memory under a stream of ever-new device ids: N readings (default 1M), each
# from a device never seen before, spread over 48 h of event time, read from
# the real broker (scripts/kafka.sh) by the streaming anomaly pipeline with
# the default ensemble on prism. Runs twice - device state kept forever
# (--device-state-ttl=-1s) and expired after 1 h of silence - sampling the
# process's RSS as records are read. Starts the broker if it is not running.
# Usage: scripts/bench-devices.sh [N]
set -euo pipefail
cd "$(dirname "$0")/.."
n="${1:-1000000}"
work="${BEAMLENS_RUN_DIR:-$PWD/.run}/bench-devices"
. scripts/lib/kafka-bench.sh
in="$work/devices-$n.jsonl"
[ -s "$in" ] || python3 - "$n" "$in" <<'PY'
import sys, random
n, path = int(sys.argv[1]), sys.argv[2]
start = 1748736000000  # 2025-06-01T00:00:00Z
step = 48 * 3600 * 1000 / n
rnd = random.Random(1)
with open(path, "w") as f:
    for i in range(n):
        f.write('{"device_id":"dev-%07d","timestamp":%d,"temperature":%.2f}\n' % (i, start + int(i * step), 20 + rnd.gauss(0, 1)))
PY
id=$(date +%s)
topic="devices_$id"
scripts/kafka.sh topic "$topic" 3 >/dev/null
"$work/topictool" produce --brokers="$b" --topic="$topic" --file="$in" 2>/dev/null

echo "machine: $(nproc) cores, $(date -u +%Y-%m-%dT%H:%MZ), Beam Go prism, $n readings from $n distinct devices over 48 h of event time"
for ttl in -1s 1h; do
  log="$work/run-$ttl.log"
  "$work/beamlens" anomalies --input="kafka://$b/$topic" --kafka-group="devices-$id-$ttl" --output="kafka://$b/devices_out_${id}_$ttl" \
    --device-state-ttl="$ttl" 2>"$log" &
  job=$!
  peak=0; samples=""; t0=$(date +%s)
  while kill -0 "$job" 2>/dev/null; do
    sleep 2
    rss=$(awk '/VmRSS/ {print $2}' "/proc/$job/status" 2>/dev/null || true)
    rss=${rss:-0}
    read_n=$(grep -o '[0-9]* records read' "$log" | tail -1 | awk '{print $1}' || true)
    [ "${rss:-0}" -gt "$peak" ] && peak=$rss
    samples="$samples ${read_n:-0}:$((rss / 1024))MiB"
    if [ "${read_n:-0}" -ge "$n" ] || [ $(( $(date +%s) - t0 )) -gt 900 ]; then
      sleep 10 # let the last bundles and timers settle
      rss=$(awk '/VmRSS/ {print $2}' "/proc/$job/status" 2>/dev/null || true)
      rss=${rss:-0}
      [ "$rss" -gt "$peak" ] && peak=$rss
      samples="$samples end:$((rss / 1024))MiB"
      kill -INT "$job"; wait "$job" || true; job=""
      break
    fi
  done
  echo "--device-state-ttl=$ttl: peak RSS $((peak / 1024)) MiB; records read:RSS every 2 s:$(echo "$samples" | tr ' ' '\n' | awk 'NR%5==2' | tr '\n' ' ')"
  grep -E 'device_states_expired|records_read' "$log" | sed 's/^/    /' || true
done
