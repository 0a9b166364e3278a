# Shared process handling for scripts/kafka.sh and scripts/flink.sh: both
# start one Java process in the background, record its PID, and stop it by
# that PID. Source it after defining log() and PID_FILE.

# read_pid prints the PID recorded in $PID_FILE, if any.
read_pid() { if [[ -f "$PID_FILE" ]]; then tr -dc '0-9' <"$PID_FILE"; fi; }

# show_log_tail FILE OFFSET prints the last 40 lines a start wrote to FILE
# (from byte OFFSET on), for a failed start.
show_log_tail() {
  if [[ -s "$1" ]]; then
    echo "----- tail of $1 (this start) -----" >&2
    tail -c +"$(( ${2:-0} + 1 ))" "$1" | tail -n 40 >&2
  fi
}

# kill_failed_start kills a half-started process (TERM, 10 s, KILL), removes
# the PID file and exits 1.
kill_failed_start() {
  local pid; pid="$(read_pid)"
  if [[ -n "$pid" ]] && kill -0 "$pid" 2>/dev/null; then
    kill -TERM "$pid" 2>/dev/null || true
    for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done
    kill -KILL "$pid" 2>/dev/null || true
  fi
  rm -f "$PID_FILE"
  exit 1
}

# stop_pid NAME PID TIMEOUT sends TERM, waits up to TIMEOUT seconds, then
# KILLs, and waits until the process is gone.
stop_pid() {
  local name="$1" pid="$2" timeout="$3"
  log "stopping $name (pid $pid)"
  kill -TERM "$pid" 2>/dev/null || true
  local deadline=$((SECONDS + timeout))
  while kill -0 "$pid" 2>/dev/null && (( SECONDS < deadline )); do sleep 0.2; done
  if kill -0 "$pid" 2>/dev/null; then
    log "$name did not stop within ${timeout}s, sending SIGKILL"
    kill -KILL "$pid" 2>/dev/null || true
    while kill -0 "$pid" 2>/dev/null; do sleep 0.1; done
  fi
  log "stopped"
}
