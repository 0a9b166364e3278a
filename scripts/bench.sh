#!/usr/bin/env bash
# Side by side, on one generated input, in one run on this machine:
#   beamlens's anomaly pipeline on prism: threshold, threshold without the
#     window-statistics stream (--window=off: the article's job exactly),
#     and the default ensemble;
#   the article's PyFlink job (../shared/seed-article.txt: JSON parse,
#     temperature > 100, write the flagged events), file in and file out;
#   the same job on Beam Python's default local runner;
#   a plain Go loop doing the same parse + threshold + write (the hardware limit).
# Every job (beamlens's variants, the Go loop, PyFlink, Beam Python) runs in
# 3 interleaved rounds (1 with --quick) and reports its median.
# Checks that every threshold variant flags exactly the same readings, prints
# the table with events/s and ratios, writes it with a PNG chart into
# BENCHMARKS.md, then benchmarks the themes stage (scripts/bench-themes.sh)
# and prints the top of a CPU profile of beamlens's threshold run.
#
# Then, unless --files-only, the Kafka -> Kafka side by side on 1M readings
# (scripts/bench-kafka-peers.sh, an untimed warm-up, then three rounds,
# medians: beamlens on prism, kcat, Quix Streams; it starts the local
# broker), and the same job on Flink's embedded
# job server at parallelism 1, 2 and 4 (scripts/bench-flink.sh N embedded; the
# session cluster: scripts/bench-flink.sh N cluster).
#
# Usage: scripts/bench.sh [--quick] [--files-only]
#   --quick       100k readings instead of 1M, a smaller themes run; ratios last
#   --files-only  skip the Kafka side by side and Flink
# Installs PyFlink and Beam Python into virtualenvs under .venv/ (cached).
set -euo pipefail
cd "$(dirname "$0")/.."
n=1000000
quick=0
kafka=1
for a in "$@"; do
  case "$a" in
  --quick) n=100000; quick=1 ;;
  --files-only) kafka=0 ;;
  *) echo "usage: scripts/bench.sh [--quick] [--files-only]" >&2; exit 2 ;;
  esac
done
work="${BEAMLENS_RUN_DIR:-$PWD/.run}/bench"
mkdir -p "$work" .venv docs
cores=$(nproc)

say() { echo "== $*" >&2; }
venv() { # name pip-spec...
  local dir=".venv/$1"; shift
  if [ ! -x "$dir/bin/python" ] || ! "$dir/bin/pip" show -q "${1%%==*}" >/dev/null 2>&1; then
    say "installing $* into $dir (once)"
    python3 -m venv "$dir"
    "$dir/bin/pip" install -q "$@"
  fi
}
venv pyflink apache-flink==2.3.0
venv beam apache-beam==2.77.0 matplotlib

say "building"
go build -o "$work/beamlens" ./cmd/beamlens
go build -o "$work/goloop" ./scripts/bench/goloop
input="$work/sensors-$n.jsonl"
[ -s "$input" ] || "$work/beamlens" gen sensors --n="$n" --seed=1 --out="$input" >/dev/null

timings="$work/timings.tsv"
runs="$work/runs.tsv" # one row per run; timings.tsv gets each job's median
: >"$runs"
timed() { # name output-glob comparable command...
  local name="$1" glob="$2" comparable="$3"; shift 3
  say "$name"
  local s e
  s=$(date +%s.%N)
  # Peak RSS (KiB) of the largest single process of the run (GNU time's %M).
  /usr/bin/time -o "$work/rss.txt" -f %M "$@" >"$work/$(echo "$name" | tr -c 'a-zA-Z0-9' _).log" 2>&1
  e=$(date +%s.%N)
  printf '%s\t%s\t%s\t%s\t%s\n' "$name" "$(python3 -c "print($e-$s)")" "$glob" "$comparable" "$(tail -1 "$work/rss.txt")" >>"$runs"
}
# The machine is shared and noisy (the same Go loop takes 0.35-0.69 s from
# one run to the next; Beam Python took 11.5-20.9 s over three runs of one
# day): every job runs in interleaved rounds and reports its median, the
# peers as well as beamlens, so that no ratio rests on one lucky or
# unlucky run of either side.
rounds=3
[ "$quick" = 1 ] && rounds=1
for r in $(seq 1 "$rounds"); do
  say "round $r of $rounds"
  timed "beamlens threshold" "$work/out-threshold/anomalies.jsonl" 1 \
    "$work/beamlens" anomalies --overwrite --detectors=threshold --input="$input" --output="$work/out-threshold"
  timed "beamlens threshold, no stats" "$work/out-nostats/anomalies.jsonl" 1 \
    "$work/beamlens" anomalies --overwrite --detectors=threshold --window=off --input="$input" --output="$work/out-nostats"
  timed "beamlens ensemble" "$work/out-ensemble/anomalies.jsonl" 0 \
    "$work/beamlens" anomalies --overwrite --input="$input" --output="$work/out-ensemble"
  timed "Go loop" "$work/out-goloop.jsonl" 1 \
    "$work/goloop" "$input" "$work/out-goloop.jsonl"
  rm -rf "$work"/out-pyflink "$work"/out-beampy
  timed "PyFlink (article job)" "$work/out-pyflink/**/part-*" 1 \
    .venv/pyflink/bin/python scripts/bench/article_pyflink.py "$input" "$work/out-pyflink" "$cores"
  timed "Beam Python (DirectRunner)" "$work/out-beampy/part*" 1 \
    .venv/beam/bin/python scripts/bench/article_beam.py "$input" "$work/out-beampy/part"
done
# timings.tsv: one row per job, in the table's order, with its median
# seconds and its largest peak RSS over the rounds.
python3 - "$runs" "$timings" <<'PY'
import statistics, sys
rows = [l.split('\t') for l in open(sys.argv[1]).read().split('\n') if l]
order = ["beamlens threshold", "beamlens threshold, no stats", "beamlens ensemble",
         "PyFlink (article job)", "Beam Python (DirectRunner)", "Go loop"]
with open(sys.argv[2], 'w') as out:
    for name in order:
        mine = [r for r in rows if r[0] == name]
        secs = statistics.median(float(r[1]) for r in mine)
        rss = max(int(r[4]) for r in mine)
        out.write('\t'.join([name, str(secs), mine[0][2], mine[0][3], str(rss)]) + '\n')
        print(f"{name}: {len(mine)} run(s), " + ", ".join(f"{float(r[1]):.2f}" for r in mine) + f" s; median {secs:.2f} s",
              file=sys.stderr)
PY

say "themes stage (scripts/bench-themes.sh)"
themes="$work/themes.txt"
if [ "$quick" = 1 ]; then
  BEAMLENS_BENCH_REVIEWS=1200 BEAMLENS_BENCH_BASELINE=30 scripts/bench-themes.sh >"$themes"
else
  scripts/bench-themes.sh >"$themes"
fi
cat "$themes" >&2

say "CPU profile of beamlens threshold (top functions)"
prof="$work/threshold.pprof"
rm -rf "$work/out-prof"
BEAMLENS_CPUPROFILE="$prof" "$work/beamlens" anomalies --detectors=threshold --input="$input" --output="$work/out-prof" 2>/dev/null
go tool pprof -top -nodecount=20 "$work/beamlens" "$prof" 2>/dev/null | sed -n '1,28p' | tee "$work/profile.txt" >&2

extra="$work/extra.md"
{
  echo "Themes stage (scripts/bench-themes.sh, same run):"
  echo
  echo '```'
  cat "$themes"
  echo '```'
  echo
  echo "Where beamlens threshold spends its CPU (BEAMLENS_CPUPROFILE, \`go tool pprof -top\`, same run):"
  echo
  echo '```'
  sed -n '1,26p' "$work/profile.txt"
  echo '```'
} >"$extra"
machine="$cores cores, $(free -g | awk '/Mem/ {print $2}') GiB, $(date -u +%Y-%m-%d), $(go version | awk '{print $3}'), Beam Go prism; PyFlink 2.3.0 (parallelism $cores); apache-beam 2.77.0 Python; seconds: median of $rounds interleaved runs of every job"
cmd="scripts/bench.sh${*:+ $*}"
.venv/beam/bin/python scripts/bench/report.py "$timings" "$n" "$machine; command: $cmd" BENCHMARKS.md docs/bench-anomalies.png "$extra"
if [ "$kafka" = 1 ]; then
  say "Kafka -> Kafka side by side (scripts/bench-kafka-peers.sh)"
  scripts/bench-kafka-peers.sh "$n" 3
  say "Kafka -> Kafka on Flink (scripts/bench-flink.sh, embedded job server)"
  scripts/bench-flink.sh "$n" embedded
fi
