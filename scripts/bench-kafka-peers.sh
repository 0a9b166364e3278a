#!/usr/bin/env bash
# Kafka -> Kafka side by side on one topic, against the real broker
# (scripts/kafka.sh), round by round (the machine is shared: medians of
# interleaved runs, not one run each):
#  - beamlens on prism: anomalies --bounded, threshold, full pipeline with
#    window stats, Kafka in and out; readings/s and peak RSS;
#  - kcat consuming the same topic to /dev/null: the broker's read ceiling
#    (Debian's kcat, installed with apt-get when missing);
#  - the article's job with Quix Streams (scripts/bench/article_quix.py, in
#    .venv/quix): parse, temperature > 100, flagged readings to a topic.
# An untimed warm-up run of beamlens and kcat comes first (see below).
# With BEAMLENS_OLD=PATH a second beamlens binary runs in every round too
# (old vs new). Prints one line per run and the medians with their ratios.
# Usage: scripts/bench-kafka-peers.sh [N] [ROUNDS]   (default 1000000 3)
set -euo pipefail
cd "$(dirname "$0")/.."
n="${1:-1000000}"
rounds="${2:-3}"
work="${BEAMLENS_RUN_DIR:-$PWD/.run}/bench-kafka-peers"
. scripts/lib/kafka-bench.sh

if ! command -v kcat >/dev/null; then
  sudo=""; [ "$(id -u)" = 0 ] || sudo=sudo
  $sudo apt-get install -y -q kcat >/dev/null || { $sudo apt-get update -q >/dev/null && $sudo apt-get install -y -q kcat >/dev/null; } ||
    { echo "bench-kafka-peers: kcat is missing and apt-get could not install it" >&2; exit 1; }
fi
if [ ! -x .venv/quix/bin/python ] || ! .venv/quix/bin/pip show -q quixstreams >/dev/null 2>&1; then
  python3 -m venv .venv/quix
  .venv/quix/bin/pip install -q quixstreams==3.28.1
fi

id=$(date +%s)
in="peers_in_$id"
[ -s "$work/sensors-$n.jsonl" ] || "$work/beamlens" gen sensors --n="$n" --seed=1 --out="$work/sensors-$n.jsonl"
scripts/kafka.sh topic "$in" 3 >/dev/null
"$work/topictool" produce --brokers="$b" --topic="$in" --file="$work/sensors-$n.jsonl" 2>/dev/null
records=$(wc -l <"$work/sensors-$n.jsonl")

runs="$work/runs-$id.tsv" # job, round, seconds, peak RSS KiB
: >"$runs"
timed() { # job round cmd...: runs cmd under /usr/bin/time, appends a row
  local job=$1 round=$2; shift 2
  /usr/bin/time -f "%e %M" -o "$work/time" "$@" >/dev/null 2>"$work/$job.log"
  read -r secs rss <"$work/time"
  printf '%s\t%s\t%s\t%s\n' "$job" "$round" "$secs" "$rss" >>"$runs"
  printf '%-14s round %s: %6.2f s  %8.0f readings/s  peak RSS %4d MB\n' "$job" "$round" "$secs" \
    "$(awk -v n="$records" -v s="$secs" 'BEGIN {printf "%.0f", n / s}')" $((rss / 1024))
}

# One untimed warm-up of beamlens and kcat first: the broker is a JVM,
# usually started moments ago by this script, and its first minutes of
# fetches run cold. On 2026-12-03 beamlens's three rounds against a broker
# started for the bench took 3.82, 3.09 and 3.28 s; the same binary against
# the same broker after a few runs, 2.22-2.32 s (and kcat 0.91-0.97 s against
# 1.09-1.13 s). A long-running production broker is warm; every job here
# now meets a warm one.
"$work/beamlens" anomalies --detectors=threshold --bounded --input="kafka://$b/$in" --output="kafka://$b/out_${id}_warmup" >/dev/null 2>&1
kcat -C -b "$b" -t "$in" -o beginning -e -q >/dev/null
echo "machine: $(nproc) cores, $(date -u +%Y-%m-%dT%H:%MZ), Kafka $(scripts/kafka.sh env 2>/dev/null | awk -F= '/KAFKA_VERSION/ {print $2}'), topic of $records readings in 3 partitions, $rounds rounds"
for r in $(seq 1 "$rounds"); do
  timed beamlens "$r" "$work/beamlens" anomalies --detectors=threshold --bounded --input="kafka://$b/$in" --output="kafka://$b/out_${id}_${r}_new"
  if [ -n "${BEAMLENS_OLD:-}" ]; then
    timed beamlens-old "$r" "$BEAMLENS_OLD" anomalies --detectors=threshold --bounded --input="kafka://$b/$in" --output="kafka://$b/out_${id}_${r}_old"
  fi
  timed kcat "$r" kcat -C -b "$b" -t "$in" -o beginning -e -q
  timed quix "$r" .venv/quix/bin/python scripts/bench/article_quix.py "$b" "$in" "quix_out_${id}_$r" "$records"
done
python3 - "$runs" "$records" <<'PY'
import statistics, sys
rows = [l.split('\t') for l in open(sys.argv[1]).read().split('\n') if l]
n = int(sys.argv[2])
med = {}
for job in dict.fromkeys(r[0] for r in rows):
    secs = statistics.median(float(r[2]) for r in rows if r[0] == job)
    rss = statistics.median(int(r[3]) for r in rows if r[0] == job)
    med[job] = n / secs
    print(f'median {job:<14} {secs:6.2f} s  {n / secs:>10,.0f} readings/s  peak RSS {rss // 1024} MB')
for job in ('beamlens', 'beamlens-old'):
    if job in med:
        print(f'{job}: {med[job] / med["kcat"]:.2f}x kcat, {med[job] / med["quix"]:.1f}x Quix Streams')
if 'beamlens-old' in med:
    print(f'beamlens new / old: {med["beamlens"] / med["beamlens-old"]:.2f}x')
PY
