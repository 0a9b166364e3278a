#!/usr/bin/env bash
# Local Beam portable Flink job server for beamlens: with an embedded Flink MiniCluster
# (FLINK_MODE=embedded, the default; workers LOOPBACK, in the submitting process), or in
# front of a Flink session cluster of separate processes started here (FLINK_MODE=cluster:
# one JobManager and FLINK_TASKMANAGERS TaskManagers, each its own JVM, whose TaskManagers
# start the Go workers themselves).
#
# The shaded beam-runners-flink-*-job-server jars are not reachable here, so the job
# server is assembled from its Maven artifacts (beam-runners-flink-<flink> plus its
# dependency tree and an slf4j-simple binding), resolved once with
# `mvn dependency:copy-dependencies` into a cache dir, and started with
# org.apache.beam.runners.flink.FlinkJobServerDriver --flink-master=[local].
#
# Submit Go pipelines with (embedded):
#   --runner=flink --endpoint=localhost:$JOB_PORT --environment_type=LOOPBACK
# or (cluster; `start` and `env` print the exact flags):
#   --runner=flink --endpoint=localhost:$JOB_PORT --environment_type=PROCESS
#     --environment_config='{"command":"<run dir>/flink/cluster/worker.sh"}'
# (beamlens stages its own binary as the worker: --worker_binary defaults to it.)
#
# Usage: scripts/flink.sh <command>
#   start      start the job server (fetches jars on first use), in cluster mode the
#              JobManager and TaskManagers first; prints FLINK_ENDPOINT=... (and GO_FLAGS=...).
#              On a running cluster it starts again the TaskManagers that died.
#   stop       stop the job server and any cluster processes by PID (TERM, then KILL after
#              FLINK_STOP_TIMEOUT s); idempotent
#   status     one line per process: role, PID, address (exit 0 if the job server runs,
#              1 if it does not)
#   savepoint [NAME]  stop the running job (the only one, or the one whose Flink name starts
#              with NAME) with a savepoint under the cluster's savepoint dir; prints
#              SAVEPOINT=PATH. Resume with beamlens --flink-savepoint=PATH (cluster mode)
#   restart    stop + start
#   logs [N]   tail N lines (default 50) of the job server log
#   fetch      only resolve/cache the jars (and build the patch jar)
#   env        print the resolved settings
#
# Environment (all optional):
#   BEAM_VERSION=2.70.0       beam-runners-flink-<FLINK_VERSION> version. Served on this
#                             registry: 2.70.0 and 2.62.0 (Flink 1.19), 2.59.0/2.56.0 (Flink 1.16)
#   FLINK_VERSION=1.19        Flink minor of the runner artifact
#   JOB_SERVICE_VERSION       beam-runners-java-job-service version; defaults to BEAM_VERSION,
#                             except 2.70.0 -> 2.65.0 (2.66+ is not served; 2.65.0 works with 2.70.0)
#   JOB_PORT=8099             job service; ARTIFACT_PORT=JOB_PORT-1, EXPANSION_PORT=JOB_PORT-2
#   FLINK_PATCH=1             build and prepend a small patch jar compiled from the published
#                             -sources jars (needs python3 + javac), fixing for Go streaming jobs:
#                              * unbounded pipelines run without the 'streaming' option (the Go SDK
#                                cannot set it), so operators never cut bundles and event-time
#                                windows only fire when the source ends (seen on 2.70.0);
#                              * apache/beam#27648: every SDF self-checkpoint registers a new Flink
#                                keyed-state descriptor, so state/heap grow without bound
#                                (backport of apache/beam#39191, fixed upstream in 2.76);
#                              * ResumeProcessingIn delays are truncated to whole seconds;
#                              * a checkpoint interval set in the Flink configuration
#                                (FLINK_CHECKPOINT_INTERVAL) is not Beam's, so Beam shuts its
#                                Impulse source down and no checkpoint ever completes; the patch
#                                makes it Beam's, and finishes bundles before each checkpoint
#                                (a checkpoint taken with a bundle open lost the Kafka read's
#                                self-checkpoint residual in 4 of 6 runs here: the job then read
#                                nothing, forever);
#                              * the Go SDK cannot set Flink's savepointPath option: the patch
#                                takes it from the experiment beamlens_savepoint=PATH (what
#                                beamlens --flink-savepoint=PATH sends), to resume a job from a
#                                savepoint on a session cluster.
#                             FLINK_PATCH=0 runs the stock jars.
#   FLINK_HEAP=1g             job server -Xmx
#   FLINK_LOG_LEVEL=warn      slf4j-simple level for org.apache.flink (Beam logs at info)
#   FLINK_START_TIMEOUT=120   seconds to wait for the job port (excludes the one-time jar fetch)
#   FLINK_STOP_TIMEOUT=20     seconds to wait after SIGTERM before SIGKILL
#   FLINK_CHECKPOINT_INTERVAL Flink checkpoint interval for every job this server runs (e.g. 30s;
#                             default: none = checkpointing off). The Go SDK cannot pass Flink
#                             options per job, so Flink configuration is the job server's: these
#                             settings are written to $BEAMLENS_RUN_DIR/flink/conf/config.yaml and
#                             passed as --flink-conf-dir.
#   FLINK_CONF                further Flink configuration, one "key: value" per line
#                             (e.g. $'state.backend.type: rocksdb\nstate.checkpoints.dir: file:///x')
#   FLINK_CONF_DIR            use this Flink configuration directory as is instead (then
#                             FLINK_CHECKPOINT_INTERVAL and FLINK_CONF must be unset)
#   FLINK_EXTRA_ARGS          extra FlinkJobServerDriver arguments
#   FLINK_MODE=embedded       embedded | cluster (see above). In cluster mode:
#     FLINK_TASKMANAGERS=2    TaskManager processes (1-4)
#     FLINK_SLOTS=2           task slots per TaskManager
#     FLINK_REST_PORT=8081    the JobManager's REST port (web UI; what the job server submits to)
#     FLINK_PORT_BASE=6123    JobManager RPC port; blob server = base+1, TaskManager i RPC =
#                             base+2i and data = base+2i+1, metric query services in
#                             base+10..base+19. Everything binds 127.0.0.1.
#     FLINK_TM_HEAP=256m      task heap per TaskManager (every taskmanager.memory.* size is
#                             set explicitly: Flink's shell scripts, which normally derive them,
#                             are not on Maven Central)
#     FLINK_PARALLELISM=2     parallelism.default of jobs that do not set --parallelism
#     State: hashmap (heap) state backend, checkpoints and savepoints on the filesystem under
#     $BEAMLENS_RUN_DIR/flink/cluster/{checkpoints,savepoints} (RocksDB's jar is not in the
#     job server's dependency tree); FLINK_CHECKPOINT_INTERVAL defaults to 10s here. The
#     processes' working and temporary directories (blob stores) are cluster/{work,tmp},
#     removed by stop.
#     The Go boot program (github.com/apache/beam/sdks/v2/go/container, built with `go build`
#     on first start) is what a TaskManager runs for the PROCESS environment: it fetches the
#     staged worker binary from the job's artifacts and runs it as the SDK harness.
#   BEAMLENS_CACHE=~/.cache/beamlens    jars go to $BEAMLENS_CACHE/flink-$BEAM_VERSION-$FLINK_VERSION
#   BEAMLENS_RUN_DIR=<repo>/.run        pid/log/artifacts go to $BEAMLENS_RUN_DIR/flink
#   JAVA_HOME / FLINK_JAVA    Java 11+ to use (default: java on PATH)
set -euo pipefail

SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO_ROOT="$(cd "$SCRIPT_DIR/.." && pwd)"

BEAM_VERSION="${BEAM_VERSION:-2.70.0}"
FLINK_VERSION="${FLINK_VERSION:-1.19}"
if [[ -z "${JOB_SERVICE_VERSION:-}" ]]; then
  case "$BEAM_VERSION" in
    2.70.0) JOB_SERVICE_VERSION=2.65.0 ;;
    *) JOB_SERVICE_VERSION="$BEAM_VERSION" ;;
  esac
fi
JOB_PORT_SET="${JOB_PORT:+yes}"
JOB_PORT="${JOB_PORT:-8099}"
# FLINK_MASTER is the Flink cluster jobs go to: [local] starts an embedded one;
# HOST:8081 submits to a session cluster's REST endpoint.
FLINK_MASTER="${FLINK_MASTER:-[local]}"
FLINK_PATCH="${FLINK_PATCH:-1}"
FLINK_HEAP="${FLINK_HEAP:-1g}"
FLINK_LOG_LEVEL="${FLINK_LOG_LEVEL:-warn}"
# The JVMs' slf4j-simple logging: info with timestamps, Flink and Pekko at
# FLINK_LOG_LEVEL, checkpoints at info.
SLF4J_FLAGS=(
  -Dorg.slf4j.simpleLogger.defaultLogLevel=info
  -Dorg.slf4j.simpleLogger.showDateTime=true
  "-Dorg.slf4j.simpleLogger.dateTimeFormat=yyyy-MM-dd'T'HH:mm:ss.SSS"
  -Dorg.slf4j.simpleLogger.log.org.apache.flink="$FLINK_LOG_LEVEL"
  -Dorg.slf4j.simpleLogger.log.org.apache.pekko="$FLINK_LOG_LEVEL"
  -Dorg.slf4j.simpleLogger.log.org.apache.flink.runtime.checkpoint.CheckpointCoordinator=info
)
FLINK_START_TIMEOUT="${FLINK_START_TIMEOUT:-120}"
FLINK_STOP_TIMEOUT="${FLINK_STOP_TIMEOUT:-20}"
FLINK_EXTRA_ARGS="${FLINK_EXTRA_ARGS:-}"
FLINK_CHECKPOINT_INTERVAL="${FLINK_CHECKPOINT_INTERVAL:-}"
FLINK_CONF="${FLINK_CONF:-}"
FLINK_CONF_DIR="${FLINK_CONF_DIR:-}"
FLINK_MODE="${FLINK_MODE:-embedded}"
FLINK_TASKMANAGERS="${FLINK_TASKMANAGERS:-2}"
FLINK_SLOTS="${FLINK_SLOTS:-2}"
FLINK_REST_PORT_SET="${FLINK_REST_PORT:+yes}"
FLINK_REST_PORT="${FLINK_REST_PORT:-8081}"
FLINK_PORT_BASE="${FLINK_PORT_BASE:-6123}"
FLINK_TM_HEAP="${FLINK_TM_HEAP:-256m}"
FLINK_PARALLELISM="${FLINK_PARALLELISM:-2}"
case "$FLINK_MODE" in
  embedded) ;;
  cluster) FLINK_CHECKPOINT_INTERVAL="${FLINK_CHECKPOINT_INTERVAL:-10s}" ;;
  *) echo "flink.sh: error: FLINK_MODE must be embedded or cluster, not '$FLINK_MODE'" >&2; exit 2 ;;
esac
[[ "$FLINK_TASKMANAGERS" =~ ^[1-4]$ ]] || { echo "flink.sh: error: FLINK_TASKMANAGERS must be 1-4" >&2; exit 2; }

CACHE_ROOT="${BEAMLENS_CACHE:-$HOME/.cache/beamlens}"
FHOME="$CACHE_ROOT/flink-$BEAM_VERSION-$FLINK_VERSION"
LIBS="$FHOME/lib"
# Bump PATCH_REV whenever the patch changes: the built jar is cached under its name.
PATCH_REV=6
PATCH_JAR="$FHOME/beamlens-flink-patch-r$PATCH_REV.jar"
RUN_ROOT="${BEAMLENS_RUN_DIR:-$REPO_ROOT/.run}"
FDIR="$RUN_ROOT/flink"
LOG_FILE="$FDIR/jobserver.log"
PID_FILE="$FDIR/jobserver.pid"
PORT_FILE="$FDIR/jobserver.port"
CDIR="$FDIR/cluster"
BOOT_BIN="$CDIR/boot"
BOOT_CMD="$CDIR/worker.sh"
JM_CLASS=org.apache.flink.runtime.entrypoint.StandaloneSessionClusterEntrypoint
TM_CLASS=org.apache.flink.runtime.taskexecutor.TaskManagerRunner
MAIN_CLASS=org.apache.beam.runners.flink.FlinkJobServerDriver

# Commands other than start talk to the port the running server was started with,
# unless JOB_PORT is given explicitly.
if [[ "${1:-}" != start && "${1:-}" != restart && -z "$JOB_PORT_SET" && -f "$PORT_FILE" ]]; then
  JOB_PORT="$(tr -dc '0-9' <"$PORT_FILE")"; JOB_PORT="${JOB_PORT:-8099}"
fi
if [[ "${1:-}" != start && "${1:-}" != restart && -f "$CDIR/rest.port" ]]; then
  # A running cluster: talk to its REST port, print its flags.
  [[ -n "${FLINK_REST_PORT_SET:-}" ]] || FLINK_REST_PORT="$(tr -dc '0-9' <"$CDIR/rest.port")"
  FLINK_MODE=cluster
fi
ARTIFACT_PORT="${ARTIFACT_PORT:-$((JOB_PORT - 1))}"
EXPANSION_PORT="${EXPANSION_PORT:-$((JOB_PORT - 2))}"

PROC_MATCH="$MAIN_CLASS --flink-master="
log() { echo "flink.sh: $*" >&2; }
die() { log "error: $*"; exit 1; }
# shellcheck source=scripts/lib/proc.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/proc.sh"

# ---------------------------------------------------------------- java
java_bin() { find_java FLINK_JAVA 11 "the Flink job server"; }

# ---------------------------------------------------------------- jars
fetch_jars() {
  jars_cached "$FHOME" "the Beam Flink job server jars into $LIBS" && return 0
  log "fetching beam-runners-flink-$FLINK_VERSION:$BEAM_VERSION (+ job-service $JOB_SERVICE_VERSION) from Maven into $LIBS (one time, a few minutes)..."
  local js_dep="" js_excl=""
  if [[ "$JOB_SERVICE_VERSION" != "$BEAM_VERSION" ]]; then
    # Pin a different job-service version without letting it drag in a second copy of Beam.
    js_excl="<exclusions><exclusion><groupId>org.apache.beam</groupId><artifactId>beam-runners-java-job-service</artifactId></exclusion></exclusions>"
    js_dep="<dependency>
      <groupId>org.apache.beam</groupId><artifactId>beam-runners-java-job-service</artifactId><version>$JOB_SERVICE_VERSION</version>
      <exclusions><exclusion><groupId>org.apache.beam</groupId><artifactId>*</artifactId></exclusion></exclusions>
    </dependency>
    <dependency>
      <groupId>org.apache.beam</groupId><artifactId>beam-sdks-java-expansion-service</artifactId><version>$BEAM_VERSION</version>
    </dependency>"
  fi
  cat >"$FHOME/pom.xml" <<EOF
<project xmlns="http://maven.apache.org/POM/4.0.0">
  <!-- Generated by beamlens scripts/flink.sh; the classpath of the Beam Flink job server. -->
  <modelVersion>4.0.0</modelVersion>
  <groupId>beamlens.local</groupId>
  <artifactId>flink-job-server-classpath</artifactId>
  <version>$BEAM_VERSION-$FLINK_VERSION</version>
  <packaging>pom</packaging>
  <dependencies>
    <dependency>
      <groupId>org.apache.beam</groupId><artifactId>beam-runners-flink-$FLINK_VERSION</artifactId><version>$BEAM_VERSION</version>
      $js_excl
    </dependency>
    $js_dep
  </dependencies>
</project>
EOF
  local tmp="$FHOME/lib.tmp.$$"
  rm -rf "$tmp"
  if ! mvn -B -q -f "$FHOME/pom.xml" dependency:copy-dependencies \
      -DincludeScope=runtime -DoutputDirectory="$tmp" >"$FHOME/mvn.log" 2>&1; then
    tail -n 30 "$FHOME/mvn.log" >&2 || true
    rm -rf "$tmp"; exec 8>&-
    die "mvn could not resolve beam-runners-flink-$FLINK_VERSION:$BEAM_VERSION (full log: $FHOME/mvn.log)"
  fi
  [[ -f "$tmp/beam-runners-flink-$FLINK_VERSION-$BEAM_VERSION.jar" ]] \
    || { rm -rf "$tmp"; exec 8>&-; die "mvn finished but beam-runners-flink-$FLINK_VERSION-$BEAM_VERSION.jar is missing"; }
  # An slf4j binding matching the slf4j-api that Beam brings (1.7.x or 2.x).
  local api slf4j_ver
  api="$(find "$tmp" -maxdepth 1 -name 'slf4j-api-*.jar' -printf '%f\n' | head -n1)"
  slf4j_ver="${api#slf4j-api-}"; slf4j_ver="${slf4j_ver%.jar}"
  if [[ -n "$slf4j_ver" ]]; then
    if ! mvn -B -q -f "$FHOME/pom.xml" dependency:copy \
        -Dartifact="org.slf4j:slf4j-simple:$slf4j_ver" -DoutputDirectory="$tmp" >>"$FHOME/mvn.log" 2>&1; then
      log "warning: could not fetch slf4j-simple $slf4j_ver; the job server will log nothing"
    fi
  fi
  jars_store "$FHOME" "$tmp" "$LIBS"
  log "cached $(find "$LIBS" -name '*.jar' | wc -l) jars ($(du -sh "$LIBS" | cut -f1)) in $LIBS"
}

# ---------------------------------------------------------------- patch jar
# Edits the published sources of 4 classes and compiles them against the cached classpath.
# Anchors are matched exactly (whitespace-insensitive); a version whose code differs is
# left unpatched with a warning.
build_patch() {
  [[ "$FLINK_PATCH" == 1 ]] || return 0
  [[ -f "$PATCH_JAR" ]] && return 0
  [[ -f "$FHOME/.patch-r$PATCH_REV-failed" ]] && { log "warning: patch jar unavailable for $BEAM_VERSION (see $FHOME/patch.log); running stock jars"; return 0; }
  local missing=""
  for t in python3 javac jar unzip; do command -v "$t" >/dev/null || missing+=" $t"; done
  if [[ -n "$missing" ]]; then
    log "warning: cannot build the patch jar (missing:$missing); running stock jars (FLINK_PATCH=0 silences this)"
    return 0
  fi
  exec 8>"$FHOME/.lock"
  flock 8
  if [[ -f "$PATCH_JAR" || -f "$FHOME/.patch-r$PATCH_REV-failed" ]]; then exec 8>&-; return 0; fi
  log "building the beamlens patch jar for Beam $BEAM_VERSION..."
  local w="$FHOME/patch.tmp.$$"
  rm -rf "$w"; mkdir -p "$w/jars" "$w/src" "$w/classes"
  if ! patch_build_steps "$w" >"$FHOME/patch.log" 2>&1; then
    touch "$FHOME/.patch-r$PATCH_REV-failed"
    tail -n 20 "$FHOME/patch.log" >&2 || true
    log "warning: patch jar build failed (log: $FHOME/patch.log); running stock jars"
  else
    log "patch jar ready: $PATCH_JAR"
  fi
  rm -rf "$w"
  exec 8>&-
}

patch_build_steps() {
  # (errexit does not apply here: this runs as an `if` condition, so every step is checked)
  local w="$1" a
  for a in "beam-runners-flink-$FLINK_VERSION" beam-runners-java-fn-execution; do
    mvn -B -q -f "$FHOME/pom.xml" dependency:copy \
      -Dartifact="org.apache.beam:$a:$BEAM_VERSION:jar:sources" -DoutputDirectory="$w/jars" || return 1
    (cd "$w/src" && unzip -qo "$w/jars/$a-$BEAM_VERSION-sources.jar") || return 1
  done
  python3 - "$w/src" <<'PY' || return 1
import re, sys, os
src = sys.argv[1]
P = "org/apache/beam/runners/"
def ws(s):  # exact tokens, flexible whitespace
    return r"\s*".join(re.escape(t) for t in s.split())
def edit(rel, pairs):
    path = os.path.join(src, P + rel)
    s = open(path).read()
    for anchor, repl in pairs:
        s, n = re.subn(ws(anchor), lambda m: repl, s, count=1)
        if n != 1:
            sys.exit("anchor not found in %s: %s" % (rel, anchor[:70]))
    # spotbugs annotations are compile-time only and not on the runtime classpath
    s = re.sub(r"import edu\.umd\.cs\.findbugs\.annotations\.SuppressFBWarnings;\n", "", s)
    s = re.sub(r"@SuppressFBWarnings\((\{[^}]*\}|[^)]*)\)", "", s)
    out = os.path.join(src, "..", "patched", P + rel)
    os.makedirs(os.path.dirname(out), exist_ok=True)
    open(out, "w").write(s)

# 1. apache/beam#27648 (backport of #39191): one stable MapState per key+window for SDF
#    residuals instead of a new ValueState descriptor per self-checkpoint; entries removed
#    once re-processed.  2. keep sub-second ResumeProcessingIn delays.
edit("fnexecution/control/BundleCheckpointHandlers.java", [
  ('public static final String SDF_PREFIX = "sdf_checkpoint";',
   'public static final String SDF_PREFIX = "sdf_checkpoint";\n'
   '    /** beamlens patch (apache/beam#27648): residuals live in one stable map state. */\n'
   '    public static final String SDF_RESIDUAL_STATE = "sdf_checkpoint_residuals";\n\n'
   '    public static <T> org.apache.beam.runners.core.StateTag<\n'
   '            org.apache.beam.sdk.state.MapState<String, WindowedValue<T>>>\n'
   '        residualStateTag(Coder<WindowedValue<T>> residualCoder) {\n'
   '      return StateTags.map(\n'
   '          SDF_RESIDUAL_STATE, org.apache.beam.sdk.coders.StringUtf8Coder.of(), residualCoder);\n'
   '    }\n'),
  ('.state(stateNamespace, StateTags.value(tag, residualCoder)) .write(',
   '.state(stateNamespace, residualStateTag(residualCoder))\n                .put(\n                    tag,'),
  ('Duration.millis(residual.getRequestedTimeDelay().getSeconds() * 1000)',
   'Duration.millis(\n                    residual.getRequestedTimeDelay().getSeconds() * 1000L\n'
   '                        + residual.getRequestedTimeDelay().getNanos() / 1_000_000)'),
])
edit("flink/translation/wrappers/streaming/ExecutableStageDoFnOperator.java", [
  ('WindowedValue stateValue = keyedStateInternals.state(namespace, StateTags.value(timerId, residualCoder)).read(); processElement(stateValue);',
   'org.apache.beam.sdk.state.MapState<String, WindowedValue<InputT>> residualState =\n'
   '            keyedStateInternals.state(\n'
   '                namespace, StateAndTimerBundleCheckpointHandler.residualStateTag(residualCoder));\n'
   '        WindowedValue<InputT> stateValue = residualState.get(timerId).read();\n'
   '        residualState.remove(timerId);\n'
   '        if (stateValue != null) {\n'
   '          processElement(stateValue);\n'
   '        }'),
])
edit("flink/translation/functions/FlinkExecutableStageFunction.java", [
  ('WindowedValue stateValue = sdfStateInternals .state(timer.getNamespace(), StateTags.value(timer.getTimerId(), inputCoder)) .read(); residuals.add(stateValue);',
   'org.apache.beam.sdk.state.MapState<String, WindowedValue<InputT>> residualState =\n'
   '                sdfStateInternals.state(\n'
   '                    timer.getNamespace(),\n'
   '                    org.apache.beam.runners.fnexecution.control.BundleCheckpointHandlers\n'
   '                        .StateAndTimerBundleCheckpointHandler.residualStateTag(inputCoder));\n'
   '            WindowedValue<InputT> stateValue = residualState.get(timer.getTimerId()).read();\n'
   '            residualState.remove(timer.getTimerId());\n'
   '            if (stateValue != null) {\n'
   '              residuals.add(stateValue);\n'
   '            }'),
])
# 3. unbounded pipelines: set the 'streaming' option so operators cut bundles by size/time
#    and the watermark advances while a self-checkpointing SDF runs.
edit("flink/FlinkPipelineRunner.java", [
  ('if (!pipelineOptions.isStreaming() && !hasUnboundedPCollections(pipeline)) {',
   'if (!pipelineOptions.isStreaming() && hasUnboundedPCollections(pipeline)) {\n'
   '      LOG.info("beamlens patch: unbounded PCollections found, setting the streaming option");\n'
   '      pipelineOptions.setStreaming(true);\n'
   '    }\n'
   # 4. a checkpoint interval from the job server's Flink configuration (--flink-conf-dir) is
   #    Beam's too: otherwise Beam believes checkpointing is off and shuts its Impulse source
   #    down at once, after which no checkpoint can ever complete. Bundles finish before a
   #    checkpoint: one taken with a bundle open lost the SDF residual (the read stalled).
   #    With checkpointing on, Beam keeps its Impulse source idling forever (a checkpoint
   #    needs every task running), so a job never ends: jobs that beamlens marks bounded (the
   #    experiment beamlens_bounded) skip Beam's checkpointing and end when their input does.
   '    java.util.List<String> beamlensExperiments =\n'
   '        pipelineOptions.as(org.apache.beam.sdk.options.ExperimentalOptions.class).getExperiments();\n'
   '    boolean beamlensBounded = beamlensExperiments != null && beamlensExperiments.contains("beamlens_bounded");\n'
   # 5. a savepoint to start from, for jobs the Go SDK submits (it cannot set Flink's
   #    savepointPath option): the experiment beamlens_savepoint=PATH (cluster mode only:
   #    Beam applies it to a remote Flink master).
   '    if (beamlensExperiments != null) {\n'
   '      for (String e : beamlensExperiments) {\n'
   '        if (e.startsWith("beamlens_savepoint=")) {\n'
   '          pipelineOptions.setSavepointPath(e.substring("beamlens_savepoint=".length()));\n'
   '          LOG.info("beamlens patch: starting from savepoint {}", pipelineOptions.getSavepointPath());\n'
   '        }\n'
   '      }\n'
   '    }\n'
   '    if (beamlensBounded) {\n'
   '      LOG.info("beamlens patch: a bounded beamlens job: sources end when done, no Beam checkpointing");\n'
   '      pipelineOptions.setShutdownSourcesAfterIdleMs(0L);\n'
   '    }\n'
   '    if (!beamlensBounded && pipelineOptions.getCheckpointingInterval() == -1) {\n'
   '      java.util.Optional<java.time.Duration> interval =\n'
   '          (confDir == null\n'
   '                  ? org.apache.flink.configuration.GlobalConfiguration.loadConfiguration()\n'
   '                  : org.apache.flink.configuration.GlobalConfiguration.loadConfiguration(confDir))\n'
   '              .getOptional(\n'
   '                  org.apache.flink.streaming.api.environment.ExecutionCheckpointingOptions\n'
   '                      .CHECKPOINTING_INTERVAL);\n'
   '      if (interval.isPresent() && interval.get().toMillis() > 0) {\n'
   '        LOG.info("beamlens patch: checkpointing every {} ms (Flink configuration)", interval.get().toMillis());\n'
   '        pipelineOptions.setCheckpointingInterval(interval.get().toMillis());\n'
   '        pipelineOptions.setFinishBundleBeforeCheckpointing(true);\n'

   '      }\n'
   '    }\n'
   '    if (!pipelineOptions.isStreaming() && !hasUnboundedPCollections(pipeline)) {'),
])
PY
  # shellcheck disable=SC2046
  javac -nowarn -proc:none --release 11 -encoding UTF-8 -d "$w/classes" -cp "$LIBS/*" \
    $(find "$w/patched" -name '*.java') || return 1
  jar cf "$w/patch.jar" -C "$w/classes" . || return 1
  mv "$w/patch.jar" "$PATCH_JAR"
}

# ---------------------------------------------------------------- process helpers

classpath() {
  if [[ "$FLINK_PATCH" == 1 && -f "$PATCH_JAR" ]]; then echo "$PATCH_JAR:$LIBS/*"; else echo "$LIBS/*"; fi
}

# ---------------------------------------------------------------- commands
cmd_fetch() { java_bin >/dev/null; fetch_jars; build_patch; }

# conf_dir prints the Flink configuration directory to pass with --flink-conf-dir
# (empty: Flink's defaults).
conf_dir() {
  if [[ -n "$FLINK_CONF_DIR" ]]; then
    [[ -z "$FLINK_CHECKPOINT_INTERVAL$FLINK_CONF" ]] || die "set FLINK_CONF_DIR or FLINK_CHECKPOINT_INTERVAL/FLINK_CONF, not both"
    [[ -f "$FLINK_CONF_DIR/config.yaml" || -f "$FLINK_CONF_DIR/flink-conf.yaml" ]] \
      || die "FLINK_CONF_DIR=$FLINK_CONF_DIR has no config.yaml or flink-conf.yaml"
    echo "$FLINK_CONF_DIR"; return 0
  fi
  [[ -n "$FLINK_CHECKPOINT_INTERVAL$FLINK_CONF" || "$FLINK_MODE" == cluster ]] || return 0
  local d="$FDIR/conf"
  mkdir -p "$d"
  {
    echo "# written by scripts/flink.sh start"
    [[ -n "$FLINK_CHECKPOINT_INTERVAL" ]] && echo "execution.checkpointing.interval: $FLINK_CHECKPOINT_INTERVAL"
    [[ "$FLINK_MODE" == cluster ]] && cluster_conf
    [[ -n "$FLINK_CONF" ]] && printf '%s\n' "$FLINK_CONF"
  } >"$d/config.yaml"
  echo "$d"
}

# ---------------------------------------------------------------- session cluster
# The cluster's processes and the job server share one configuration directory: the
# job server's copy carries the checkpoint interval to Beam (the patch) and the state
# backend and directories to the job; the cluster's the addresses, memory and defaults.

# cluster_conf prints the cluster part of config.yaml. Working and temporary directories
# live under the cluster dir (stop removes them): each job ships the whole worker binary to
# every TaskManager's blob store, which under /tmp grew by gigabytes a session.
cluster_conf() {
  # Memory: a TaskManager started without Flink's shell scripts must be given every
  # component, and its JVM flags must agree with them (tm_java_opts).
  cat <<EOF
jobmanager.rpc.address: 127.0.0.1
jobmanager.rpc.port: $FLINK_PORT_BASE
jobmanager.bind-host: 127.0.0.1
blob.server.port: $((FLINK_PORT_BASE + 1))
rest.address: 127.0.0.1
rest.bind-address: 127.0.0.1
rest.port: $FLINK_REST_PORT
taskmanager.host: 127.0.0.1
taskmanager.bind-host: 127.0.0.1
metrics.internal.query-service.port: $((FLINK_PORT_BASE + 10))-$((FLINK_PORT_BASE + 19))
taskmanager.numberOfTaskSlots: $FLINK_SLOTS
cluster.evenly-spread-out-slots: true
parallelism.default: $FLINK_PARALLELISM
taskmanager.cpu.cores: $FLINK_SLOTS
taskmanager.memory.framework.heap.size: 64m
taskmanager.memory.task.heap.size: $FLINK_TM_HEAP
taskmanager.memory.managed.size: 32m
taskmanager.memory.framework.off-heap.size: 64m
taskmanager.memory.task.off-heap.size: 256m
taskmanager.memory.network.min: 64m
taskmanager.memory.network.max: 64m
taskmanager.memory.jvm-metaspace.size: 256m
taskmanager.memory.jvm-overhead.min: 64m
taskmanager.memory.jvm-overhead.max: 64m
process.working-dir: $CDIR/work
io.tmp.dirs: $CDIR/tmp
blob.service.cleanup.interval: 60
state.backend.type: hashmap
state.checkpoint-storage: filesystem
state.checkpoints.dir: file://$CDIR/checkpoints
state.savepoints.dir: file://$CDIR/savepoints
execution.checkpointing.externalized-checkpoint-retention: RETAIN_ON_CANCELLATION
heartbeat.interval: 2000
heartbeat.timeout: 20000
restart-strategy.type: fixed-delay
restart-strategy.fixed-delay.attempts: 20
restart-strategy.fixed-delay.delay: 3s
EOF
}

# size_mb 256m|1g -> 256|1024
size_mb() {
  local v="${1,,}"
  case "$v" in
    *g) echo $(( ${v%g} * 1024 )) ;;
    *m) echo "${v%m}" ;;
    *) die "size '$1': want e.g. 256m or 1g" ;;
  esac
}

# tm_java_opts prints the JVM flags matching cluster_conf's memory sizes: heap =
# framework + task heap, direct = framework + task off-heap + network. Task off-heap is
# Beam's: its gRPC channels to the Go workers (the worker binary itself is fetched over
# one) live in direct memory; with 128m in all a worker's start died of it.
tm_java_opts() {
  local heap=$(( 64 + $(size_mb "$FLINK_TM_HEAP") ))
  echo "-Xms${heap}m -Xmx${heap}m -XX:MaxDirectMemorySize=384m -XX:MaxMetaspaceSize=256m"
}

cluster_pid_file() { echo "$CDIR/$1.pid"; }

# cluster_is_ours ROLE PID: PID is alive and is this cluster's ROLE process.
cluster_is_ours() {
  local role="$1" pid="$2" class="$JM_CLASS"
  [[ "$role" == taskmanager-* ]] && class="$TM_CLASS"
  pid_runs "$pid" "$class --configDir $FDIR/conf"
}

# cluster_roles lists the roles that have a pid file.
cluster_roles() {
  local r
  for r in jobmanager taskmanager-1 taskmanager-2 taskmanager-3 taskmanager-4; do
    if [[ -f "$(cluster_pid_file "$r")" ]]; then echo "$r"; fi
  done
}

# cluster_pid ROLE prints the role's live PID (exit 1 if it does not run).
cluster_pid() {
  local f pid; f="$(cluster_pid_file "$1")"
  [[ -f "$f" ]] || return 1
  pid="$(tr -dc '0-9' <"$f")"
  cluster_is_ours "$1" "$pid" || return 1
  echo "$pid"
}

# cluster_launch ROLE CLASS JVM_OPTS [ARGS...] starts one cluster JVM in its own session,
# its pid in CDIR/ROLE.pid, its output appended to CDIR/ROLE.log.
cluster_launch() {
  local role="$1" class="$2" opts="$3"; shift 3
  local JAVA; JAVA="$(java_bin)"
  rm -f "$(cluster_pid_file "$role")"
  echo "==== $(date -u +%FT%TZ) flink.sh start $role" >>"$CDIR/$role.log"
  # shellcheck disable=SC2016,SC2086
  setsid bash -c 'echo $$ >"$1"; cd "$2"; shift 2; exec "$@"' _ "$(cluster_pid_file "$role")" "$CDIR" \
    "$JAVA" $opts -XX:+UseG1GC -Djava.awt.headless=true \
    "${SLF4J_FLAGS[@]}" \
    -Dorg.slf4j.simpleLogger.log.org.apache.flink.runtime.executiongraph.ExecutionGraph=info \
    -Dorg.slf4j.simpleLogger.log.org.apache.flink.runtime.resourcemanager=info \
    -cp "$(classpath)" "$class" --configDir "$FDIR/conf" "$@" \
    </dev/null >>"$CDIR/$role.log" 2>&1 &
  local i
  for i in $(seq 1 50); do
    if [[ -s "$(cluster_pid_file "$role")" ]]; then return 0; fi
    sleep 0.1
  done
  die "$role did not start (log $CDIR/$role.log)"
}

rest_get() { curl -fsS --max-time 5 "http://127.0.0.1:$FLINK_REST_PORT$1"; }

# registered_tms prints how many TaskManagers the JobManager knows.
registered_tms() {
  local n
  n="$(rest_get /taskmanagers 2>/dev/null | python3 -c 'import sys,json; print(len(json.load(sys.stdin)["taskmanagers"]))' 2>/dev/null || true)"
  echo "${n:-0}"
}

# build_boot builds the Beam Go SDK's boot program once per run dir, and writes the PROCESS
# environment's command: a wrapper that a TaskManager runs to start a Go worker.
# - The boot program fetches the staged worker binary into its --semi_persist_dir (default
#   /tmp, shared by every worker on the machine: two workers wrote the same
#   /tmp/staged/1-beamlens), so each worker gets a directory of its own under the run dir.
# - The boot program copies the binary again to /tmp/bin*/worker (a fixed prefix) and starts
#   it. Once the worker runs, the wrapper deletes both copies (a running binary needs no
#   path; its space comes back when it exits, however it ends): kept until the wrapper's
#   end, every worker killed with its TaskManager left ~300 MB behind and filled the disk.
# - Neither the boot program nor the worker ends when the TaskManager stops the environment
#   or dies: stopped jobs left their workers running, reparented to init. So the boot
#   program runs in a process group of its own, which the wrapper ends (TERM, then KILL)
#   when it is told to stop, when the boot program exits, or when its TaskManager is gone
#   (checked every 2 s); then it removes the worker's directory.
# - A wrapper killed before it could clean up (Beam kills an environment that does not stop
#   within its grace period) leaves its directory: each wrapper, as it starts, removes the
#   directories of wrappers no longer alive.
build_boot() {
  mkdir -p "$CDIR/workers"
  cat >"$BOOT_CMD.tmp" <<EOF
#!/usr/bin/env bash
# Written by scripts/flink.sh: the PROCESS environment command of this cluster's Go workers
# (see build_boot there for why it is more than the boot program).
set -m
tm=\$PPID
for w in "$CDIR"/workers/w.*; do
  [[ -f "\$w/pid" ]] && ! kill -0 "\$(cat "\$w/pid")" 2>/dev/null && rm -rf "\$w"
done
d="\$(mktemp -d "$CDIR/workers/w.XXXXXX")"
echo \$\$ >"\$d/pid"
"$BOOT_BIN" --semi_persist_dir="\$d" "\$@" &
child=\$!
stop() { kill -TERM -- -\$child 2>/dev/null; }
trap stop TERM INT
while kill -0 \$child 2>/dev/null; do
  kill -0 \$tm 2>/dev/null || stop
  for p in \$(pgrep -g \$child); do
    e="\$(readlink "/proc/\$p/exe" 2>/dev/null)"
    case "\$e" in
      /tmp/bin*/worker) rm -rf "\${e%/worker}" "\$d/staged" ;;
    esac
  done
  sleep 2 & wait \$!
done
wait \$child; rc=\$?
stop; sleep 1; kill -KILL -- -\$child 2>/dev/null
rm -rf "\$d"
exit \$rc
EOF
  chmod +x "$BOOT_CMD.tmp"; mv "$BOOT_CMD.tmp" "$BOOT_CMD"
  [[ -x "$BOOT_BIN" ]] && return 0
  command -v go >/dev/null || die "go not found: needed once to build the Beam Go boot program ($BOOT_BIN)"
  log "building the Beam Go boot program (github.com/apache/beam/sdks/v2/go/container) into $BOOT_BIN"
  (cd "$REPO_ROOT" && go build -o "$BOOT_BIN.tmp" github.com/apache/beam/sdks/v2/go/container) \
    || die "go build of the Beam Go boot program failed"
  mv "$BOOT_BIN.tmp" "$BOOT_BIN"
}

# cluster_start starts the JobManager and the TaskManagers that do not run yet (so a
# second start brings back a TaskManager that died), and waits until all registered.
cluster_start() {
  mkdir -p "$CDIR/checkpoints" "$CDIR/savepoints" "$CDIR/work" "$CDIR/tmp"
  local p i deadline started=$SECONDS
  if [[ -z "$(cluster_pid jobmanager || true)" ]]; then
    for p in "$FLINK_REST_PORT" "$FLINK_PORT_BASE" $((FLINK_PORT_BASE + 1)); do
      port_open "$p" && die "port 127.0.0.1:$p is already in use by another process (set FLINK_REST_PORT / FLINK_PORT_BASE)"
    done
  fi
  build_boot
  if [[ -z "$(cluster_pid jobmanager || true)" ]]; then
    log "starting the Flink JobManager (REST 127.0.0.1:$FLINK_REST_PORT, RPC $FLINK_PORT_BASE), log $CDIR/jobmanager.log"
    cluster_launch jobmanager "$JM_CLASS" "-Xms256m -Xmx512m"
  fi
  deadline=$((SECONDS + FLINK_START_TIMEOUT))
  until rest_get /overview >/dev/null 2>&1; do
    if [[ -z "$(cluster_pid jobmanager || true)" ]]; then
      show_log_tail "$CDIR/jobmanager.log" 0; die "the JobManager exited during startup"
    fi
    (( SECONDS < deadline )) || die "the JobManager did not answer on 127.0.0.1:$FLINK_REST_PORT within ${FLINK_START_TIMEOUT}s"
    sleep 0.5
  done
  for i in $(seq 1 "$FLINK_TASKMANAGERS"); do
    [[ -n "$(cluster_pid "taskmanager-$i" || true)" ]] && continue
    log "starting Flink TaskManager $i (RPC $((FLINK_PORT_BASE + 2 * i)), data $((FLINK_PORT_BASE + 2 * i + 1))), log $CDIR/taskmanager-$i.log"
    cluster_launch "taskmanager-$i" "$TM_CLASS" "$(tm_java_opts)" \
      -Dtaskmanager.resource-id="beamlens-tm-$i" \
      -Dtaskmanager.rpc.port=$((FLINK_PORT_BASE + 2 * i)) \
      -Dtaskmanager.data.port=$((FLINK_PORT_BASE + 2 * i + 1))
  done
  deadline=$((SECONDS + FLINK_START_TIMEOUT))
  until [[ "$(registered_tms)" -ge "$FLINK_TASKMANAGERS" ]]; do
    for i in $(seq 1 "$FLINK_TASKMANAGERS"); do
      if [[ -z "$(cluster_pid "taskmanager-$i" || true)" ]]; then
        show_log_tail "$CDIR/taskmanager-$i.log" 0; die "TaskManager $i exited during startup"
      fi
    done
    (( SECONDS < deadline )) || die "only $(registered_tms) of $FLINK_TASKMANAGERS TaskManagers registered within ${FLINK_START_TIMEOUT}s"
    sleep 1
  done
  log "cluster ready: 1 JobManager, $FLINK_TASKMANAGERS TaskManagers x $FLINK_SLOTS slots (startup $((SECONDS - started))s)"
}

cluster_stop() {
  local r pid b
  # TaskManagers first: a JobManager that outlives them only logs their loss.
  for r in $(cluster_roles | sort -r); do
    if pid="$(cluster_pid "$r")"; then stop_pid "$r" "$pid" "$FLINK_STOP_TIMEOUT"; fi
    rm -f "$(cluster_pid_file "$r")"
  done
  # What worker wrappers could not remove (a TaskManager's exit kills them at once), and
  # the processes' working directories (blob stores: every job's worker binary).
  sleep 1
  rm -rf "$CDIR"/workers/w.* "$CDIR/work" "$CDIR/tmp"
}

cluster_status() {
  local r pid
  for r in $(cluster_roles); do
    if pid="$(cluster_pid "$r")"; then
      case "$r" in
        jobmanager) echo "jobmanager    pid $pid  rest http://127.0.0.1:$FLINK_REST_PORT  log $CDIR/$r.log" ;;
        *) echo "$r pid $pid  workers [$(pgrep -P "$pid" | tr '\n' ' ' | sed 's/ $//')]  log $CDIR/$r.log" ;;
      esac
    else
      echo "$r not running"
    fi
  done
}

# cluster_savepoint [NAME] stops the running job with a savepoint; prints SAVEPOINT=PATH.
cluster_savepoint() {
  local name="${1:-}" jid trig st loc deadline
  jid="$(rest_get /jobs/overview | python3 -c '
import sys, json
name = sys.argv[1]
jobs = [j for j in json.load(sys.stdin)["jobs"] if j["state"] == "RUNNING" and j["name"].startswith(name)]
if len(jobs) != 1:
    sys.exit("want exactly one running job%s, found %d" % (" named " + name + "*" if name else "", len(jobs)))
print(jobs[0]["jid"])' "$name")" || die "no single running job to stop"
  log "stopping job $jid with a savepoint in $CDIR/savepoints"
  trig="$(curl -fsS --max-time 10 -X POST -H 'Content-Type: application/json' \
    -d "{\"targetDirectory\":\"file://$CDIR/savepoints\",\"drain\":false}" \
    "http://127.0.0.1:$FLINK_REST_PORT/jobs/$jid/stop" | python3 -c 'import sys,json; print(json.load(sys.stdin)["request-id"])')" \
    || die "the JobManager refused the stop-with-savepoint request"
  deadline=$((SECONDS + 120))
  while (( SECONDS < deadline )); do
    st="$(rest_get "/jobs/$jid/savepoints/$trig" || true)"
    loc="$(echo "$st" | python3 -c '
import sys, json
d = json.load(sys.stdin)
if d["status"]["id"] != "COMPLETED":
    sys.exit(0)
op = d.get("operation") or {}
if "failure-cause" in op:
    sys.exit("savepoint failed: " + str(op["failure-cause"].get("stack-trace", ""))[:2000])
print(op["location"])' 2>&1)" || die "$loc"
    if [[ -n "$loc" ]]; then echo "SAVEPOINT=$loc"; return 0; fi
    sleep 1
  done
  die "the savepoint did not complete within 120s"
}

go_flags() {
  if [[ "$FLINK_MODE" == cluster ]]; then
    echo "--runner=flink --endpoint=localhost:$JOB_PORT --environment_type=PROCESS --environment_config={\"command\":\"$BOOT_CMD\"}"
  else
    echo "--runner=flink --endpoint=localhost:$JOB_PORT --environment_type=LOOPBACK"
  fi
}

cmd_start() {
  local pid
  if pid="$(running_pid)"; then
    local running_port; running_port="$(tr -dc '0-9' <"$PORT_FILE" 2>/dev/null || true)"
    running_port="${running_port:-$JOB_PORT}"
    [[ -n "$JOB_PORT_SET" && "$running_port" != "$JOB_PORT" ]] && log "warning: job server already runs on port $running_port, not $JOB_PORT"
    log "already running (pid $pid)"
    if [[ -f "$CDIR/rest.port" ]]; then
      # A session cluster: bring back the TaskManagers that died (or were killed).
      FLINK_REST_PORT="$(tr -dc '0-9' <"$CDIR/rest.port")"
      cluster_start
    fi
    echo "FLINK_ENDPOINT=localhost:$running_port"
    return 0
  fi
  rm -f "$PID_FILE" "$PORT_FILE"
  for p in "$JOB_PORT" "$ARTIFACT_PORT" "$EXPANSION_PORT"; do
    port_open "$p" && die "port 127.0.0.1:$p is already in use by another process (set JOB_PORT)"
  done
  local JAVA; JAVA="$(java_bin)"
  fetch_jars
  build_patch
  mkdir -p "$FDIR/artifacts"
  local conf conf_args=()
  conf="$(conf_dir)"
  if [[ "$FLINK_MODE" == cluster ]]; then
    [[ -z "$FLINK_CONF_DIR" ]] || die "FLINK_MODE=cluster writes its own configuration: unset FLINK_CONF_DIR (use FLINK_CONF)"
    [[ "$FLINK_MASTER" == "[local]" ]] || die "FLINK_MODE=cluster starts its own cluster: unset FLINK_MASTER"
    cluster_start
    echo "$FLINK_REST_PORT" >"$CDIR/rest.port"
    FLINK_MASTER="127.0.0.1:$FLINK_REST_PORT"
  fi
  [[ -n "$conf" ]] && conf_args=(--flink-conf-dir="$conf")
  local patched=no; [[ "$(classpath)" == "$PATCH_JAR:"* ]] && patched=yes
  LOG_OFFSET="$(stat -c %s "$LOG_FILE" 2>/dev/null || echo 0)"
  {
    echo "==== $(date -u +%FT%TZ) flink.sh start: beam $BEAM_VERSION flink $FLINK_VERSION job-service $JOB_SERVICE_VERSION patched=$patched port $JOB_PORT master $FLINK_MASTER conf ${conf:-none}"
    [[ -n "$conf" ]] && sed 's/^/  conf: /' "$conf"/*.yaml
  } >>"$LOG_FILE"
  log "starting Beam $BEAM_VERSION Flink $FLINK_VERSION job server on 127.0.0.1:$JOB_PORT (patched=$patched), log $LOG_FILE"
  local started=$SECONDS
  # setsid: own session, so Ctrl-C in the caller's terminal does not hit the server.
  # The wrapper writes its own pid then execs java, so the pid file is the JVM's pid.
  # Its working directory is the run dir: submitting to a cluster, the server writes a
  # pipeline_options.json into it.
  # shellcheck disable=SC2016,SC2086
  setsid bash -c 'echo $$ >"$1"; cd "$2"; shift 2; exec "$@"' _ "$PID_FILE" "$FDIR" \
    "$JAVA" -Xms128m -Xmx"$FLINK_HEAP" -XX:+UseG1GC -Djava.awt.headless=true \
    "${SLF4J_FLAGS[@]}" \
    -cp "$(classpath)" "$MAIN_CLASS" --flink-master="$FLINK_MASTER" --job-host=127.0.0.1 \
    --job-port="$JOB_PORT" --artifact-port="$ARTIFACT_PORT" --expansion-port="$EXPANSION_PORT" \
    --artifacts-dir="$FDIR/artifacts" "${conf_args[@]}" $FLINK_EXTRA_ARGS \
    </dev/null >>"$LOG_FILE" 2>&1 &
  local launcher=$!

  local deadline=$((SECONDS + FLINK_START_TIMEOUT))
  pid=""
  while (( SECONDS < deadline )); do
    [[ -z "$pid" ]] && pid="$(read_pid)"
    if [[ -n "$pid" ]] && ! kill -0 "$pid" 2>/dev/null; then
      start_failed "job server process $pid exited during startup"
    elif [[ -z "$pid" ]] && ! kill -0 "$launcher" 2>/dev/null; then
      start_failed "job server launcher exited during startup"
    fi
    if [[ -n "$pid" ]] && port_open "$JOB_PORT"; then break; fi
    sleep 0.3
  done
  port_open "$JOB_PORT" || start_failed "job server did not open 127.0.0.1:$JOB_PORT within ${FLINK_START_TIMEOUT}s"
  echo "$JOB_PORT" >"$PORT_FILE"
  log "ready (pid $pid, startup $((SECONDS - started))s)"
  echo "FLINK_ENDPOINT=localhost:$JOB_PORT"
  echo "GO_FLAGS=$(go_flags)"
}

start_failed() {
  log "error: $1"
  show_log_tail "$LOG_FILE" "${LOG_OFFSET:-0}"
  kill_failed_start
}

cmd_stop() {
  local pid; pid="$(read_pid)"
  if [[ -z "$pid" ]] || ! is_ours "$pid"; then
    log "job server not running"
  else
    stop_pid "job server" "$pid" "$FLINK_STOP_TIMEOUT"
  fi
  rm -f "$PID_FILE" "$PORT_FILE"
  cluster_stop
  rm -f "$CDIR/rest.port"
  # The jobs' staged artifacts (each job stages the whole worker binary): with the server
  # stopped, no job can ask for them again.
  rm -rf "${FDIR:?}/artifacts"
}

cmd_status() {
  local pid rc=1
  if pid="$(running_pid)"; then
    if port_open "$JOB_PORT"; then
      echo "running (pid $pid, FLINK_ENDPOINT=localhost:$JOB_PORT, log $LOG_FILE)"
    else
      echo "running (pid $pid) but port $JOB_PORT does not answer yet (log $LOG_FILE)"
    fi
    rc=0
  else
    echo "not running"
  fi
  cluster_status
  return "$rc"
}

cmd_logs() {
  local n="${1:-50}"
  [[ -f "$LOG_FILE" ]] || die "no log yet ($LOG_FILE)"
  tail -n "$n" "$LOG_FILE"
}

cmd_env() {
  cat <<EOF
BEAM_VERSION=$BEAM_VERSION
FLINK_VERSION=$FLINK_VERSION
JOB_SERVICE_VERSION=$JOB_SERVICE_VERSION
JOB_PORT=$JOB_PORT
ARTIFACT_PORT=$ARTIFACT_PORT
EXPANSION_PORT=$EXPANSION_PORT
FLINK_PATCH=$FLINK_PATCH
FLINK_HOME=$FHOME
PATCH_JAR=$PATCH_JAR$([[ -f "$PATCH_JAR" ]] || echo " (not built)")
RUN_DIR=$FDIR
LOG_FILE=$LOG_FILE
FLINK_MASTER=$FLINK_MASTER
FLINK_CONF_DIR=${FLINK_CONF_DIR:-$([[ -n "$FLINK_CHECKPOINT_INTERVAL$FLINK_CONF" ]] && echo "$FDIR/conf (generated)")}
FLINK_ENDPOINT=localhost:$JOB_PORT
FLINK_MODE=$FLINK_MODE
FLINK_REST_PORT=$FLINK_REST_PORT
CLUSTER_DIR=$CDIR
GO_FLAGS=$(go_flags)
EOF
}

usage() { sed -n '2,/^set -euo/p' "$0" | sed '$d' | sed 's/^# \{0,1\}//' >&2; }

case "${1:-}" in
  start) cmd_start ;;
  stop) cmd_stop ;;
  status) cmd_status ;;
  savepoint) shift; cluster_savepoint "$@" ;;
  restart) cmd_stop; cmd_start ;;
  logs) shift; cmd_logs "$@" ;;
  fetch) cmd_fetch ;;
  env) cmd_env ;;
  -h|--help|help) usage ;;
  *) usage; exit 2 ;;
esac
