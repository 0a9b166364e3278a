#!/usr/bin/env python3
"""Checks a streaming run's window statistics and dead letters against prism's.

Used by scripts/e2e-flink.sh --cluster. The streaming run's outputs are at least once
(a restore replays from the last checkpoint) and its window statistics come in panes
(a late pane repeats a window with a higher pane_index), so:

- each window's truth is its newest pane; it must hold prism's count exactly;
- a window prism has and the run has not emitted is allowed only at the end of its
  device's and metric's series (its on-time pane waits for a newer reading of the
  device, or for the watermark): at most --max-pending per series, none inside;
- a (window, pane) emitted more than once is a duplicate: counted, and at most
  --max-dup-fraction of the windows;
- conservation, per metric: the newest panes' counts of the windows emitted, plus the
  readings still in a pending window, plus the window_stats dead letters (distinct,
  by source) that carry the metric, equal the readings that carry it (prism's counts:
  a file run is never late);
- the decode dead letters (distinct by source) are prism's, line for line (raw bytes);
- with --exact (a bounded run: every window closes at the end of the input), nothing may
  be pending or duplicated and every window record must be prism's field for field (the
  floating-point moments to a relative 1e-9: partials may be merged in another order).

Prints one summary line; exits 1 with the reasons on failure.
Usage: check_stats.py PRISM_STATS PRISM_DEAD RUN_STATS RUN_DEAD [--max-pending N]
       [--max-dup-fraction F] [--exact]
"""
import argparse
import collections
import json
import math
import sys


def jsonl(path):
    with open(path, encoding="utf-8") as f:
        for line in f:
            if line.strip():
                yield json.loads(line)


def raw(r):
    """A dead letter's original bytes, as text or base64 (events.DeadLetter)."""
    return r.get("raw", "b64:" + r.get("raw_base64", ""))


def same_record(a, b):
    """Whether two window records are equal, floats to a relative 1e-9."""
    if a.keys() != b.keys():
        return False
    for f, x in a.items():
        y = b[f]
        if isinstance(x, float) or isinstance(y, float):
            if not isinstance(x, (int, float)) or not isinstance(y, (int, float)):
                return False
            if not math.isclose(x, y, rel_tol=1e-9, abs_tol=1e-12):
                return False
        elif x != y:
            return False
    return True


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("prism_stats")
    ap.add_argument("prism_dead")
    ap.add_argument("run_stats")
    ap.add_argument("run_dead")
    ap.add_argument("--max-pending", type=int, default=1)
    ap.add_argument("--max-dup-fraction", type=float, default=0.25)
    ap.add_argument("--exact", action="store_true")
    a = ap.parse_args()
    if a.exact:
        a.max_pending, a.max_dup_fraction = 0, 0.0

    exp = {}
    exp_rec = {}
    for r in jsonl(a.prism_stats):
        k = (r["device_id"], r["metric"], r["window_start"])
        exp[k] = r["count"]
        exp_rec[k] = r
    newest = {}  # key -> (pane, count)
    newest_rec = {}
    seen = collections.Counter()
    for r in jsonl(a.run_stats):
        k = (r["device_id"], r["metric"], r["window_start"])
        pane = r.get("pane_index", 0) or 0
        seen[(k, pane)] += 1
        if k not in newest or pane >= newest[k][0]:
            newest[k] = (pane, r["count"])
            newest_rec[k] = r
    dups = sum(n - 1 for n in seen.values())

    problems = []
    wrong = [(k, exp[k], newest[k][1]) for k in newest if k in exp and newest[k][1] != exp[k]]
    extra = [k for k in newest if k not in exp]
    series = collections.defaultdict(list)
    for k in sorted(exp):
        series[k[:2]].append(k)
    gaps, pending, pending_max = 0, 0, 0
    pending_keys = []
    for keys in series.values():
        have = [k in newest for k in keys]
        n = len(have)
        while n > 0 and not have[n - 1]:
            n -= 1
        tail = len(have) - n
        pending += tail
        pending_max = max(pending_max, tail)
        pending_keys += keys[n:]
        if not all(have[:n]):
            gaps += 1
    if a.exact:
        unequal = [k for k in newest_rec if k in exp_rec and not same_record(newest_rec[k], exp_rec[k])]
        if unequal:
            k = unequal[0]
            problems.append("%d window records differ from prism's in a field, e.g. %s vs %s"
                            % (len(unequal), newest_rec[k], exp_rec[k]))
    if wrong:
        problems.append("%d windows with a count not prism's, e.g. %s" % (len(wrong), wrong[:3]))
    if extra:
        problems.append("%d windows prism does not have, e.g. %s" % (len(extra), extra[:3]))
    if gaps:
        problems.append("%d device/metric series with a window missing before their last one emitted" % gaps)
    if pending_max > a.max_pending:
        problems.append("a series has %d windows pending at its end (at most %d allowed)" % (pending_max, a.max_pending))
    if dups > a.max_dup_fraction * max(len(exp), 1):
        problems.append("%d duplicated panes, over %.0f%% of the windows" % (dups, 100 * a.max_dup_fraction))

    # Dead letters: distinct by source (a restore replays some).
    late = {}
    decode = {}
    for r in jsonl(a.run_dead):
        (late if r["stage"] == "window_stats" else decode if r["stage"] == "decode" else {})[r.get("source", "")] = r
    prism_decode = sorted(raw(r) for r in jsonl(a.prism_dead) if r["stage"] == "decode")
    run_decode = sorted(raw(r) for r in decode.values())
    if run_decode != prism_decode:
        problems.append("decode dead letters: %d distinct, prism %d, or not the same lines" % (len(run_decode), len(prism_decode)))

    # Conservation per metric.
    want = collections.Counter()
    for k, c in exp.items():
        want[k[1]] += c
    got = collections.Counter()
    for k, (_, c) in newest.items():
        got[k[1]] += c
    for k in pending_keys:
        got[k[1]] += exp[k]
    late_by_metric = collections.Counter()
    for r in late.values():
        try:
            reading = json.loads(raw(r))
        except (ValueError, TypeError):
            continue
        for m in want:
            if isinstance(reading.get(m), (int, float)):
                late_by_metric[m] += 1
    for m in sorted(want):
        if got[m] + late_by_metric[m] != want[m]:
            problems.append("metric %s not conserved: %d in windows + %d window_stats dead letters != %d readings"
                            % (m, got[m], late_by_metric[m], want[m]))

    cons = ", ".join("%s %d+%d=%d" % (m, got[m], late_by_metric[m], want[m]) for m in sorted(want))
    print("%d of prism's %d windows emitted, each with prism's count (%d pending at series ends, max %d per series); "
          "%d duplicated panes; %d decode dead letters = prism's; conserved per metric (windows + late dead letters = readings): %s"
          % (len(newest) - len(extra), len(exp), pending, pending_max, dups, len(run_decode), cons))
    if problems:
        for p in problems:
            print("  FAIL: " + p)
        sys.exit(1)


if __name__ == "__main__":
    main()
