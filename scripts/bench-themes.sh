#!/usr/bin/env bash
# Benchmark of theme extraction against the in-repo fake OpenAI-compatible
# server (models/llm/llmtest) with 300 ms latency and a 600 requests/minute
# budget: themes.Extract on prism (batches of 20, bounded and streaming
# input, a stream with 20% exact repeats with and without the cache) and the
# article's client (one review a request, one at a time) on the same reviews.
# Prints a table and the ratios the issue asks for. Takes about 3 minutes.
#
# Usage: scripts/bench-themes.sh [-raw]
#   -raw   also print the `go test -bench` output
#
# Environment (all optional):
#   BEAMLENS_BENCH_REVIEWS=6000   reviews in the batched and stream runs (the repeat runs use half)
#   BEAMLENS_BENCH_BASELINE=100   reviews for the sequential client (300 ms each)
#   BEAMLENS_BENCH_BURST=10       requests the server's budget lets through at once
#                                 (10: 600/min enforced per second; 1: strictly 100 ms apart)
set -euo pipefail

SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO_ROOT="$(cd "$SCRIPT_DIR/.." && pwd)"
cd "$REPO_ROOT"

raw=0
[[ "${1:-}" == "-raw" ]] && raw=1

export BEAMLENS_BENCH_REVIEWS="${BEAMLENS_BENCH_REVIEWS:-6000}"
export BEAMLENS_BENCH_BASELINE="${BEAMLENS_BENCH_BASELINE:-100}"
export BEAMLENS_BENCH_BURST="${BEAMLENS_BENCH_BURST:-10}"

out="$(mktemp)"
trap 'rm -f "$out"' EXIT
echo "bench-themes: $(nproc) cores, $(go version | cut -d' ' -f3), reviews=$BEAMLENS_BENCH_REVIEWS baseline=$BEAMLENS_BENCH_BASELINE burst=$BEAMLENS_BENCH_BURST" >&2
echo "bench-themes: go test -run='^\$' -bench=ExtractLLM -benchtime=1x ./transforms/themes" >&2
if ! go test -run='^$' -bench=ExtractLLM -benchtime=1x -timeout=30m ./transforms/themes >"$out" 2>&1; then
  grep -v '^time=' "$out" | tail -40 >&2
  echo "bench-themes: the benchmark failed" >&2
  exit 1
fi
((raw)) && grep -E '^(Benchmark|goos|goarch|cpu|pkg)' "$out"

# Each Benchmark line is: name  iterations  ns/op  value unit  value unit ...
grep -E '^BenchmarkExtractLLM/' "$out" | awk '
{
  name = $1; sub(/^BenchmarkExtractLLM\//, "", name); sub(/-[0-9]+$/, "", name)
  order[++n] = name
  for (i = 5; i < NF; i += 2) m[name, $(i + 1)] = $i
}
function v(s, u) { return ((s, u) in m) ? m[s, u] : 0 }
END {
  printf "\n%-16s %7s %10s %9s %10s %9s %8s %8s %6s %10s\n", "scenario", "reviews", "reviews/s", "%ceiling", "wall rev/s", "requests", "rev/req", "tok/rev", "429s", "cache hits"
  for (k = 1; k <= n; k++) {
    s = order[k]
    printf "%-16s %7d %10.1f %9.1f %10.1f %9d %8.2f %8.1f %6d %10d\n", s, v(s, "reviews"), v(s, "reviews/s"), v(s, "%ceiling"), v(s, "wall-reviews/s"), v(s, "requests"), v(s, "reviews/request"), v(s, "tokens/review"), v(s, "429s"), v(s, "cache-hits")
  }
  printf "\nceiling: 600 requests/min x 20 reviews/request / 60 = 200 reviews/s\n"
  printf "sustained, batched: %.1f%% of the ceiling (target >= 90%%)\n", v("batched", "%ceiling")
  printf "sustained, stream:  %.1f%% of the ceiling (target >= 90%%)\n", v("stream", "%ceiling")
  if (v("sequential", "tokens/review") > 0) {
    printf "tokens/review, batched / one review per call: %.1f / %.1f = %.0f%% (target <= 50%%)\n", v("batched", "tokens/review"), v("sequential", "tokens/review"), 100 * v("batched", "tokens/review") / v("sequential", "tokens/review")
    printf "tokens/review of the article'\''s own shorter prompt, one review per call (estimated, bytes/4): %.1f\n", v("sequential", "article-tokens/review")
  }
  if (v("repeats-nocache", "requests") > 0) {
    saved = v("repeats-nocache", "requests") - v("repeats-cache", "requests")
    printf "calls saved by the cache, 20%% repeats: %d of %d (%.0f%%); cache hits %d of %d reviews\n", saved, v("repeats-nocache", "requests"), 100 * saved / v("repeats-nocache", "requests"), v("repeats-cache", "cache-hits"), v("repeats-cache", "reviews")
  }
  if (v("sequential", "reviews/s") > 0) {
    printf "vs the article'\''s sequential client: %.0fx the reviews/s, %.1f vs 1 reviews per call, %.0f%% of its tokens/review\n", v("batched", "reviews/s") / v("sequential", "reviews/s"), v("batched", "reviews/request"), 100 * v("batched", "tokens/review") / v("sequential", "tokens/review")
  }
}'
