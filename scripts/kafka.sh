#!/usr/bin/env bash
# Local single-node Apache Kafka (KRaft, combined broker+controller) for beamlens.
#
# No Kafka tarball is reachable here, so the broker is assembled from Kafka's
# Maven Central artifacts (kafka_2.13 + kafka-tools + a log4j2/slf4j binding),
# resolved once with `mvn dependency:copy-dependencies` into a cache dir.
#
# Usage: scripts/kafka.sh <command> [args]
#   start                    start the broker (formats storage on first start); prints KAFKA_BOOTSTRAP=...
#   stop                     stop the broker (TERM, then KILL after KAFKA_STOP_TIMEOUT s); idempotent
#   status                   "running ..." (exit 0) or "not running" (exit 1)
#   topic NAME [PARTITIONS]  create a topic if it does not exist (default partitions: KAFKA_NUM_PARTITIONS)
#   topics                   list topics
#   produce TOPIC [ARGS..]   send stdin lines as messages (console producer; ARGS go to the tool,
#                            e.g. --reader-property parse.key=true --reader-property key.separator=:)
#   consume TOPIC [N [ARGS..]]  print N messages (default 10) from the beginning, 15s timeout
#                            (console consumer; e.g. --formatter-property print.key=true)
#   reset                    stop and wipe the data dir
#   logs [N]                 tail N lines (default 50) of the broker log
#   fetch                    only download/cache the jars
#   env                      print the resolved settings
#
# Environment (all optional):
#   KAFKA_VERSION=4.3.1           Kafka artifacts version
#   KAFKA_PORT=9092               PLAINTEXT listener (127.0.0.1)
#   KAFKA_CONTROLLER_PORT=KAFKA_PORT+1   KRaft controller listener (127.0.0.1)
#   KAFKA_NUM_PARTITIONS=1        num.partitions for auto-created topics
#   KAFKA_HEAP=512m               broker -Xmx
#   KAFKA_START_TIMEOUT=120       seconds to wait for the broker to serve requests
#   KAFKA_STOP_TIMEOUT=20         seconds to wait after SIGTERM before SIGKILL
#   KAFKA_EXTRA_CONFIG            extra server.properties lines (newline separated), appended last
#   BEAMLENS_CACHE=~/.cache/beamlens     jars go to $BEAMLENS_CACHE/kafka-$KAFKA_VERSION/libs
#   BEAMLENS_RUN_DIR=<repo>/.run         data/logs/pid go to $BEAMLENS_RUN_DIR/kafka
#   JAVA_HOME / KAFKA_JAVA        Java 17+ to use (default: java on PATH)
set -euo pipefail

SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO_ROOT="$(cd "$SCRIPT_DIR/.." && pwd)"

KAFKA_VERSION="${KAFKA_VERSION:-4.3.1}"
KAFKA_PORT_SET="${KAFKA_PORT:+yes}"
KAFKA_PORT="${KAFKA_PORT:-9092}"
KAFKA_CONTROLLER_PORT="${KAFKA_CONTROLLER_PORT:-$((KAFKA_PORT + 1))}"
KAFKA_NUM_PARTITIONS="${KAFKA_NUM_PARTITIONS:-1}"
KAFKA_HEAP="${KAFKA_HEAP:-512m}"
KAFKA_START_TIMEOUT="${KAFKA_START_TIMEOUT:-120}"
KAFKA_STOP_TIMEOUT="${KAFKA_STOP_TIMEOUT:-20}"
KAFKA_EXTRA_CONFIG="${KAFKA_EXTRA_CONFIG:-}"
# Slf4j/log4j versions pinned so the broker logs through log4j2 (Kafka 4.x's own setup).
KAFKA_SLF4J_VERSION="${KAFKA_SLF4J_VERSION:-2.0.17}"
KAFKA_LOG4J_VERSION="${KAFKA_LOG4J_VERSION:-2.25.4}"

CACHE_ROOT="${BEAMLENS_CACHE:-$HOME/.cache/beamlens}"
KAFKA_HOME="$CACHE_ROOT/kafka-$KAFKA_VERSION"
LIBS="$KAFKA_HOME/libs"
RUN_ROOT="${BEAMLENS_RUN_DIR:-$REPO_ROOT/.run}"
KDIR="$RUN_ROOT/kafka"
DATA_DIR="$KDIR/data"
LOG_DIR="$KDIR/logs"
CONF_DIR="$KDIR/config"
PID_FILE="$KDIR/kafka.pid"
PORT_FILE="$KDIR/kafka.port"
# Commands other than start talk to the port the running broker was started with,
# unless KAFKA_PORT is given explicitly.
if [[ "${1:-}" != start && -z "$KAFKA_PORT_SET" && -f "$PORT_FILE" ]]; then
  KAFKA_PORT="$(tr -dc '0-9' <"$PORT_FILE")"; KAFKA_PORT="${KAFKA_PORT:-9092}"
fi
BOOTSTRAP="127.0.0.1:$KAFKA_PORT"

PROC_MATCH="kafka.Kafka $CONF_DIR/server.properties"
log() { echo "kafka.sh: $*" >&2; }
die() { log "error: $*"; exit 1; }
# shellcheck source=scripts/lib/proc.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/proc.sh"

# ---------------------------------------------------------------- java
java_bin() { find_java KAFKA_JAVA 17 "Kafka $KAFKA_VERSION"; }

# ---------------------------------------------------------------- jars
fetch_jars() {
  jars_cached "$KAFKA_HOME" "Kafka $KAFKA_VERSION jars into $LIBS" && return 0
  log "fetching Kafka $KAFKA_VERSION jars from Maven into $LIBS (one time)..."
  cat >"$KAFKA_HOME/pom.xml" <<EOF
<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>beamlens.local</groupId>
  <artifactId>kafka-broker-classpath</artifactId>
  <version>$KAFKA_VERSION</version>
  <packaging>pom</packaging>
  <dependencies>
    <dependency>
      <groupId>org.apache.kafka</groupId><artifactId>kafka_2.13</artifactId><version>$KAFKA_VERSION</version>
    </dependency>
    <dependency>
      <!-- TopicCommand, console producer/consumer; Connect bits are not needed -->
      <groupId>org.apache.kafka</groupId><artifactId>kafka-tools</artifactId><version>$KAFKA_VERSION</version>
      <exclusions>
        <exclusion><groupId>org.apache.kafka</groupId><artifactId>connect-runtime</artifactId></exclusion>
      </exclusions>
    </dependency>
    <dependency>
      <groupId>org.slf4j</groupId><artifactId>slf4j-api</artifactId><version>$KAFKA_SLF4J_VERSION</version>
    </dependency>
    <dependency>
      <groupId>org.apache.logging.log4j</groupId><artifactId>log4j-slf4j2-impl</artifactId><version>$KAFKA_LOG4J_VERSION</version>
    </dependency>
    <dependency>
      <groupId>org.apache.logging.log4j</groupId><artifactId>log4j-core</artifactId><version>$KAFKA_LOG4J_VERSION</version>
    </dependency>
  </dependencies>
</project>
EOF
  local tmp="$KAFKA_HOME/libs.tmp.$$"
  rm -rf "$tmp"
  if ! mvn -B -q -f "$KAFKA_HOME/pom.xml" dependency:copy-dependencies \
      -DincludeScope=runtime -DoutputDirectory="$tmp" >"$KAFKA_HOME/mvn.log" 2>&1; then
    tail -n 40 "$KAFKA_HOME/mvn.log" >&2 || true
    rm -rf "$tmp"
    die "mvn could not resolve Kafka $KAFKA_VERSION (full log: $KAFKA_HOME/mvn.log)"
  fi
  [[ -f "$tmp/kafka_2.13-$KAFKA_VERSION.jar" && -f "$tmp/kafka-tools-$KAFKA_VERSION.jar" ]] \
    || die "mvn finished but kafka jars are missing in $tmp"
  jars_store "$KAFKA_HOME" "$tmp" "$LIBS"
  log "cached $(find "$LIBS" -name '*.jar' | wc -l) jars in $LIBS"
}

# ---------------------------------------------------------------- config
write_configs() {
  mkdir -p "$DATA_DIR" "$LOG_DIR" "$CONF_DIR"
  cat >"$CONF_DIR/server.properties" <<EOF
# Generated by scripts/kafka.sh on every start; edit KAFKA_EXTRA_CONFIG instead.
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@127.0.0.1:$KAFKA_CONTROLLER_PORT
listeners=PLAINTEXT://127.0.0.1:$KAFKA_PORT,CONTROLLER://127.0.0.1:$KAFKA_CONTROLLER_PORT
advertised.listeners=PLAINTEXT://127.0.0.1:$KAFKA_PORT
controller.listener.names=CONTROLLER
inter.broker.listener.name=PLAINTEXT
listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT
log.dirs=$DATA_DIR
num.network.threads=2
num.io.threads=4
num.recovery.threads.per.data.dir=1
auto.create.topics.enable=true
delete.topic.enable=true
num.partitions=$KAFKA_NUM_PARTITIONS
default.replication.factor=1
min.insync.replicas=1
offsets.topic.replication.factor=1
offsets.topic.num.partitions=1
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
transaction.state.log.num.partitions=1
share.coordinator.state.topic.replication.factor=1
share.coordinator.state.topic.min.isr=1
group.initial.rebalance.delay.ms=0
log.retention.hours=168
EOF
  if [[ -n "$KAFKA_EXTRA_CONFIG" ]]; then
    printf '# KAFKA_EXTRA_CONFIG\n%s\n' "$KAFKA_EXTRA_CONFIG" >>"$CONF_DIR/server.properties"
  fi
  cat >"$CONF_DIR/log4j2.properties" <<'EOF'
status = warn
name = beamlens-kafka
appender.file.type = RollingFile
appender.file.name = FILE
appender.file.fileName = ${sys:kafka.logs.dir}/server.log
appender.file.filePattern = ${sys:kafka.logs.dir}/server.log.%i
appender.file.layout.type = PatternLayout
appender.file.layout.pattern = [%d] %p %m (%c)%n
appender.file.policies.type = Policies
appender.file.policies.size.type = SizeBasedTriggeringPolicy
appender.file.policies.size.size = 50MB
appender.file.strategy.type = DefaultRolloverStrategy
appender.file.strategy.max = 3
rootLogger.level = INFO
rootLogger.appenderRef.file.ref = FILE
logger.request.name = kafka.request.logger
logger.request.level = WARN
logger.statechange.name = state.change.logger
logger.statechange.level = WARN
EOF
  cat >"$CONF_DIR/tools-log4j2.properties" <<'EOF'
status = warn
name = beamlens-kafka-tools
appender.err.type = Console
appender.err.name = STDERR
appender.err.target = SYSTEM_ERR
appender.err.layout.type = PatternLayout
appender.err.layout.pattern = [%d] %p %m (%c)%n
rootLogger.level = WARN
rootLogger.appenderRef.err.ref = STDERR
EOF
}

# ---------------------------------------------------------------- process helpers

# run a Kafka CLI class on the same classpath, quiet logging, small heap
kafka_tool() {
  local main="$1"; shift
  local pre=(); [[ -n "${TOOL_TIMEOUT:-}" ]] && pre=(timeout "$TOOL_TIMEOUT")
  "${pre[@]}" "$JAVA" -Xmx256m -XX:+UseSerialGC -XX:TieredStopAtLevel=1 -Xshare:auto \
    -Dlog4j2.configurationFile="$CONF_DIR/tools-log4j2.properties" \
    -cp "$LIBS/*" "$main" "$@"
}

need_running() {
  running_pid >/dev/null || die "broker is not running (run: scripts/kafka.sh start)"
}

# ---------------------------------------------------------------- commands
random_cluster_id() {
  # Kafka cluster ids are 16 random bytes, url-safe base64 without padding (22 chars);
  # Kafka itself never hands out ids starting with '-'.
  local id
  while :; do
    id="$(head -c 16 /dev/urandom | base64 | tr '+/' '-_' | tr -d '=\n')"
    [[ "$id" != -* ]] && { echo "$id"; return; }
  done
}

cmd_start() {
  local pid
  if pid="$(running_pid)"; then
    local running_port; running_port="$(tr -dc '0-9' <"$PORT_FILE" 2>/dev/null || true)"
    running_port="${running_port:-$KAFKA_PORT}"
    [[ -n "$KAFKA_PORT_SET" && "$running_port" != "$KAFKA_PORT" ]] && log "warning: broker already runs on port $running_port, not $KAFKA_PORT"
    log "already running (pid $pid)"
    echo "KAFKA_BOOTSTRAP=127.0.0.1:$running_port"
    return 0
  fi
  rm -f "$PID_FILE" "$PORT_FILE"
  for p in "$KAFKA_PORT" "$KAFKA_CONTROLLER_PORT"; do
    port_open "$p" && die "port 127.0.0.1:$p is already in use by another process (set KAFKA_PORT / KAFKA_CONTROLLER_PORT)"
  done
  JAVA="$(java_bin)"
  fetch_jars
  write_configs

  if [[ ! -f "$DATA_DIR/meta.properties" ]]; then
    local cid; cid="$(random_cluster_id)"
    log "formatting storage in $DATA_DIR (cluster id $cid)"
    if ! kafka_tool kafka.tools.StorageTool format --ignore-formatted \
        -t "$cid" -c "$CONF_DIR/server.properties" >"$LOG_DIR/format.log" 2>&1; then
      cat "$LOG_DIR/format.log" >&2
      die "storage format failed"
    fi
    echo "$cid" >"$KDIR/cluster.id"
  fi

  # server.log is appended across starts: remember where this start begins for error reports
  SERVER_LOG_OFFSET="$(stat -c %s "$LOG_DIR/server.log" 2>/dev/null || echo 0)"
  log "starting Kafka $KAFKA_VERSION on $BOOTSTRAP (controller 127.0.0.1:$KAFKA_CONTROLLER_PORT), logs in $LOG_DIR"
  # setsid: own session, so Ctrl-C / the caller's process group does not hit the broker.
  # The wrapper writes its own pid then execs java, so the pid file is the JVM's pid.
  # shellcheck disable=SC2016
  setsid bash -c 'echo $$ >"$1"; shift; exec "$@"' _ "$PID_FILE" \
    "$JAVA" -Xms128m -Xmx"$KAFKA_HEAP" \
    -XX:+UseG1GC -XX:MaxGCPauseMillis=20 -XX:InitiatingHeapOccupancyPercent=35 \
    -XX:+ExplicitGCInvokesConcurrent -Djava.awt.headless=true \
    -Dkafka.logs.dir="$LOG_DIR" -Dlog4j2.configurationFile="$CONF_DIR/log4j2.properties" \
    -cp "$LIBS/*" kafka.Kafka "$CONF_DIR/server.properties" \
    </dev/null >"$LOG_DIR/stdout.log" 2>&1 &
  local launcher=$!

  local deadline=$((SECONDS + KAFKA_START_TIMEOUT))
  pid=""
  while (( SECONDS < deadline )); do
    [[ -z "$pid" ]] && pid="$(read_pid)"
    if [[ -n "$pid" ]] && ! kill -0 "$pid" 2>/dev/null; then
      start_failed "broker process $pid exited during startup"
    elif [[ -z "$pid" ]] && ! kill -0 "$launcher" 2>/dev/null; then
      start_failed "broker launcher exited during startup"
    fi
    if [[ -n "$pid" ]] && port_open "$KAFKA_PORT"; then break; fi
    sleep 0.3
  done
  port_open "$KAFKA_PORT" || start_failed "broker did not open $BOOTSTRAP within ${KAFKA_START_TIMEOUT}s"

  # Port is open: confirm it actually answers Admin API requests.
  local left=$((deadline - SECONDS)); (( left < 15 )) && left=15
  if ! TOOL_TIMEOUT="$left" kafka_tool org.apache.kafka.tools.TopicCommand \
      --bootstrap-server "$BOOTSTRAP" --list >"$LOG_DIR/ready-check.log" 2>&1; then
    cat "$LOG_DIR/ready-check.log" >&2
    start_failed "broker listens on $BOOTSTRAP but did not answer an admin request"
  fi
  echo "$KAFKA_PORT" >"$PORT_FILE"
  log "ready (pid $pid, startup ${SECONDS}s)"
  echo "KAFKA_BOOTSTRAP=$BOOTSTRAP"
}

start_failed() {
  log "error: $1"
  if [[ -s "$LOG_DIR/stdout.log" ]]; then
    echo "----- tail of $LOG_DIR/stdout.log -----" >&2
    tail -n 40 "$LOG_DIR/stdout.log" >&2
  fi
  show_log_tail "$LOG_DIR/server.log" "${SERVER_LOG_OFFSET:-0}"
  kill_failed_start
}

cmd_stop() {
  local pid; pid="$(read_pid)"
  if [[ -z "$pid" ]] || ! is_ours "$pid"; then
    rm -f "$PID_FILE" "$PORT_FILE"
    log "not running"
    return 0
  fi
  stop_pid "broker" "$pid" "$KAFKA_STOP_TIMEOUT"
  rm -f "$PID_FILE" "$PORT_FILE"
}

cmd_status() {
  local pid
  if pid="$(running_pid)"; then
    echo "running (pid $pid, KAFKA_BOOTSTRAP=$BOOTSTRAP, data $DATA_DIR)"
    return 0
  fi
  echo "not running"
  return 1
}

cmd_topic() {
  [[ $# -ge 1 && -n "$1" ]] || die "usage: kafka.sh topic NAME [PARTITIONS]"
  local name="$1" parts="${2:-$KAFKA_NUM_PARTITIONS}" explicit="${2:+yes}"
  [[ "$parts" =~ ^[1-9][0-9]*$ ]] || die "PARTITIONS must be a positive integer, got '$parts'"
  need_running; JAVA="$(java_bin)"
  kafka_tool org.apache.kafka.tools.TopicCommand --bootstrap-server "$BOOTSTRAP" \
    --create --if-not-exists --topic "$name" --partitions "$parts" --replication-factor 1 >/dev/null
  local desc have
  desc="$(kafka_tool org.apache.kafka.tools.TopicCommand --bootstrap-server "$BOOTSTRAP" --describe --topic "$name")"
  have="$(sed -n 's/.*PartitionCount: *\([0-9]*\).*/\1/p' <<<"$desc" | head -n1)"
  if [[ -n "$explicit" && -n "$have" && "$have" != "$parts" ]]; then
    log "warning: topic '$name' already exists with $have partitions (requested $parts); left unchanged"
  fi
  echo "topic $name: ${have:-?} partitions"
}

cmd_topics() {
  need_running; JAVA="$(java_bin)"
  kafka_tool org.apache.kafka.tools.TopicCommand --bootstrap-server "$BOOTSTRAP" --list
}

cmd_produce() {
  [[ $# -ge 1 ]] || die "usage: kafka.sh produce TOPIC < lines"
  need_running; JAVA="$(java_bin)"
  local topic="$1"; shift
  kafka_tool org.apache.kafka.tools.ConsoleProducer --bootstrap-server "$BOOTSTRAP" --topic "$topic" "$@"
}

cmd_consume() {
  [[ $# -ge 1 ]] || die "usage: kafka.sh consume TOPIC [N]"
  need_running; JAVA="$(java_bin)"
  local topic="$1" n="${2:-10}"; shift; [[ $# -gt 0 ]] && shift
  kafka_tool org.apache.kafka.tools.consumer.ConsoleConsumer --bootstrap-server "$BOOTSTRAP" \
    --topic "$topic" --from-beginning --max-messages "$n" \
    --timeout-ms "${KAFKA_CONSUME_TIMEOUT_MS:-15000}" "$@"
}

cmd_reset() {
  cmd_stop
  rm -rf "$DATA_DIR" "$KDIR/cluster.id"
  log "wiped $DATA_DIR"
}

cmd_logs() { tail -n "${1:-50}" "$LOG_DIR/server.log"; }

cmd_env() {
  cat <<EOF
KAFKA_VERSION=$KAFKA_VERSION
KAFKA_BOOTSTRAP=$BOOTSTRAP
KAFKA_CONTROLLER=127.0.0.1:$KAFKA_CONTROLLER_PORT
KAFKA_LIBS=$LIBS
KAFKA_RUN_DIR=$KDIR
EOF
}

usage() { sed -n '2,/^set -euo/p' "${BASH_SOURCE[0]}" | sed '$d; s/^# \{0,1\}//'; }

main() {
  local cmd="${1:-}"; [[ $# -gt 0 ]] && shift
  case "$cmd" in
    start) cmd_start ;;
    stop) cmd_stop ;;
    status) cmd_status ;;
    topic) cmd_topic "$@" ;;
    topics) cmd_topics ;;
    produce) cmd_produce "$@" ;;
    consume) cmd_consume "$@" ;;
    reset) cmd_reset ;;
    logs) cmd_logs "$@" ;;
    fetch) fetch_jars ;;
    env) cmd_env ;;
    -h|--help|help) usage ;;
    *) usage >&2; exit 2 ;;
  esac
}

main "$@"
