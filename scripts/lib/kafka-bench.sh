# Shared setup of the benchmarks against the local broker
# (scripts/bench-kafka.sh, scripts/bench-devices.sh). Source it from the
# repository root after setting work (the run directory): it starts the broker
# unless one runs (and stops it again on exit), kills a job left in $job on
# exit, sets b to the bootstrap address, and builds beamlens and topictool
# into $work.
mkdir -p "$work"
b=127.0.0.1:${KAFKA_PORT:-9092}
started=""
job=""
cleanup() {
  [ -n "$job" ] && kill -KILL "$job" 2>/dev/null || true
  [ -n "$started" ] && scripts/kafka.sh stop >/dev/null 2>&1 || true
}
trap cleanup EXIT
scripts/kafka.sh status >/dev/null 2>&1 || { scripts/kafka.sh start >/dev/null; started=1; }
go build -o "$work/beamlens" ./cmd/beamlens
go build -o "$work/topictool" ./scripts/e2e/topictool
