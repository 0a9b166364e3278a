#!/usr/bin/env bash
# The request limiter against a strict budget: the in-repo fake
# OpenAI-compatible server (models/llm/llmtest) allows 600 requests a minute
# with burst 1 - a request less than 100 ms after the last one it accepted
# gets a 429 - and answers in 300 ms. The client is set as the CLI would be
# for that account (--llm-rpm=600, batches of 20, 4 requests in flight), so
# the ceiling is 600/min x 20 = 200 reviews/s. Runs the series of RUNS runs
# (default 10) of each scenario and prints every run and the series:
#
#   stage    themes.Extract on prism (BenchmarkExtractLLM in transforms/themes;
#            the fake server runs in a child process of the test binary unless
#            BEAMLENS_BENCH_SERVER=inproc):
#            batched, every review in one bounded collection (the file
#            input's case); stream, 300 reviews/s from an unbounded source
#            in ticks of 10 ms (the Kafka input's case)
#   client   the extractor alone, 4 workers calling Extract with 20 reviews
#            (BenchmarkStrictBudget in models/llm)
#
# Each run also prints the client's send lag (token to written, 99th
# percentile) and the interval the pacer ended at. Targets: no run fails, every run sustains at least 90% of the ceiling, and
# under 1% of requests are answered 429. A run takes 35-45 s a scenario,
# about 25 minutes in all on a loaded 2-core machine.
#
# Usage: scripts/bench-llm-budget.sh [stage|client|both]   (default both)
# Environment: RUNS=10, BEAMLENS_BENCH_REVIEWS=6000 (reviews a run),
#              BEAMLENS_BENCH_CLIENT_RPM=600 (the client's --llm-rpm)
set -euo pipefail
cd "$(dirname "$0")/.."
which="${1:-both}"
runs="${RUNS:-10}"
export BEAMLENS_BENCH_REVIEWS="${BEAMLENS_BENCH_REVIEWS:-6000}"
export BEAMLENS_BENCH_BURST=1
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

echo "bench-llm-budget: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(go version | cut -d' ' -f3), $(date -u +%Y-%m-%dT%H:%MZ), load $(cut -d' ' -f1-3 /proc/loadavg)"
echo "bench-llm-budget: $runs runs of $BEAMLENS_BENCH_REVIEWS reviews, server 600 rpm burst 1, 300 ms; client --llm-rpm=${BEAMLENS_BENCH_CLIENT_RPM:-600}"

# series LABEL BINARY BENCH_REGEX: runs the compiled test binary RUNS times
# and sums up each benchmark it runs.
series() {
  local label=$1 bin=$2 bench=$3 failed=0
  : >"$work/$label.runs"
  for i in $(seq "$runs"); do
    if "$bin" -test.run='^$' -test.bench="$bench" -test.benchtime=1x -test.timeout=10m >"$work/out" 2>&1 \
      && grep -q "^Benchmark" "$work/out"; then
      grep "^Benchmark" "$work/out" | awk -v run="$i" '{
        name = $1; sub(/^Benchmark[A-Za-z]*\/?/, "", name); sub(/-[0-9]+$/, "", name); if (name == "") name = "client"
        delete m
        for (k = 3; k < NF; k += 2) m[$(k + 1)] = $k
        printf "%s %d %.1f %d %d %.2f %.1f %.1f\n", name, run, m["%ceiling"], m["429s"], m["requests"], m["%429"], m["ms-lag-p99"], m["ms-pace"]
      }' | tee -a "$work/$label.runs" | awk '{printf "  %-8s run %2d: %5.1f%% of the ceiling, %3d of %3d requests answered 429 (%.2f%%), send lag p99 %.1f ms, pace %.1f ms\n", $1, $2, $3, $4, $5, $6, $7, $8}'
    else
      failed=$((failed + 1))
      echo "  $label run $i FAILED:"; grep -v '^time=' "$work/out" | tail -5 | sed 's/^/    /'
    fi
  done
  awk -v failed="$failed" -v runs="$runs" '
    { n = $1; if (!(n in cnt)) order[++k] = n; cnt[n]++; sum[n] += $3
      if (cnt[n] == 1 || $3 < lo[n]) lo[n] = $3; if ($3 > hi[n]) hi[n] = $3
      l[n] += $4; r[n] += $5; if ($6 > worst[n]) worst[n] = $6 }
    END {
      for (j = 1; j <= k; j++) { n = order[j]
        printf "%s: %d runs, %d failed; %% of the ceiling min %.1f mean %.1f max %.1f; 429s %d of %d requests (%.2f%%), worst run %.2f%%\n", n, runs, failed, lo[n], sum[n] / cnt[n], hi[n], l[n], r[n], 100 * l[n] / r[n], worst[n] }
    }' "$work/$label.runs"
}

if [[ $which == stage || $which == both ]]; then
  go test -c -o "$work/themes.test" ./transforms/themes
  series stage "$work/themes.test" 'ExtractLLM/(batched|stream)$'
fi
if [[ $which == client || $which == both ]]; then
  go test -c -o "$work/llm.test" ./models/llm
  series client "$work/llm.test" 'StrictBudget$'
fi
