# Shared process handling for scripts/kafka.sh and scripts/flink.sh: both
# start one Java process in the background, record its PID, and stop it by
# that PID. Source it after defining log(), die(), PID_FILE and PROC_MATCH
# (what the process's command line contains).

# find_java VAR MIN WHO prints the java to run: $VAR, else $JAVA_HOME/bin/java,
# else java on the PATH; it dies unless that is Java MIN or newer (WHO needs it).
find_java() {
  local j="${!1:-}"
  if [[ -z "$j" ]]; then
    if [[ -n "${JAVA_HOME:-}" && -x "$JAVA_HOME/bin/java" ]]; then j="$JAVA_HOME/bin/java"
    else j="$(command -v java || true)"; fi
  fi
  [[ -n "$j" ]] || die "java not found (install a JDK $2+ or set JAVA_HOME)"
  local v major
  v="$("$j" -version 2>&1 | awk -F'"' '/version/ {print $2; exit}')"
  major="${v%%.*}"
  [[ "$major" == 1 ]] && major="$(echo "$v" | cut -d. -f2)"
  [[ "$major" =~ ^[0-9]+$ && "$major" -ge "$2" ]] || die "$3 needs Java $2+, $j is '$v'"
  echo "$j"
}

# port_open PORT is true when something listens on 127.0.0.1:PORT.
port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# pid_runs PID MATCH is true when PID is alive and its command line contains
# MATCH (guards against a reused pid).
pid_runs() {
  local pid="$1"
  [[ -n "$pid" ]] && kill -0 "$pid" 2>/dev/null || return 1
  tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -qF "$2"
}

# is_ours PID is true when PID is alive and is our process ($PROC_MATCH).
is_ours() { pid_runs "$1" "$PROC_MATCH"; }

# running_pid prints the PID in $PID_FILE when that is our running process.
running_pid() {
  local pid; pid="$(read_pid)"
  if is_ours "$pid"; then echo "$pid"; return 0; fi
  return 1
}

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

# jars_cached DIR WHAT is true when DIR/.complete says the jars were fetched.
# Otherwise it checks for mvn (needed to fetch WHAT), takes DIR/.lock on
# file descriptor 8 (one fetch at a time) and is false: fetch, then call
# jars_store. Another fetch that finished while it waited makes it true.
jars_cached() {
  [[ -f "$1/.complete" ]] && return 0
  command -v mvn >/dev/null || die "mvn not found: needed once to fetch $2"
  mkdir -p "$1"
  exec 8>"$1/.lock"
  flock 8
  if [[ -f "$1/.complete" ]]; then exec 8>&-; return 0; fi
  return 1
}

# jars_store DIR TMP LIBS moves the fetched jars from TMP to LIBS, marks DIR
# complete and releases the lock jars_cached took.
jars_store() {
  rm -rf "$3"
  mv "$2" "$3"
  touch "$1/.complete"
  exec 8>&-
}
