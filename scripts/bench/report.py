"""Checks and reports a scripts/bench.sh run.

Reads the timings (TSV: name, seconds, output glob, comparable 0/1) and the
flagged events each variant wrote; checks that the variants running the
article's threshold flag exactly the same readings (by reading_id); prints
the table with events/s and ratios; writes the section of BENCHMARKS.md
between its markers and a PNG chart. Usage:
python report.py TIMINGS N MACHINE BENCHMARKS_MD CHART_PNG [EXTRA_FILE]
"""
import glob
import json
import sys


def flagged_ids(pattern):
    ids, without = set(), 0
    for path in sorted(glob.glob(pattern, recursive=True)):
        with open(path, 'rb') as f:
            for line in f:
                line = line.strip()
                if not line:
                    continue
                try:
                    rid = json.loads(line).get('reading_id')
                except ValueError:
                    rid = None
                if rid is None:
                    without += 1
                else:
                    ids.add(rid)
    return ids, without


def main():
    timings, n, machine, md_path, png_path = sys.argv[1:6]
    extra = open(sys.argv[6]).read().strip() if len(sys.argv) > 6 else ''
    n = int(n)
    rows = []
    for line in open(timings):
        name, secs, pattern, comparable, *rest = line.rstrip('\n').split('\t')
        ids, without = flagged_ids(pattern)
        rss = int(rest[0]) if rest and rest[0].isdigit() else None
        rows.append(dict(name=name, secs=float(secs), rate=n / float(secs), ids=ids,
                         without=without, comparable=comparable == '1', rss=rss))
    ref = next(r for r in rows if r['comparable'])
    problems = []
    for r in rows:
        if r['comparable'] and r['ids'] != ref['ids']:
            problems.append(f"{r['name']} flags {len(r['ids'])} readings, {ref['name']} {len(ref['ids'])}: "
                            f"{len(r['ids'] - ref['ids'])} only in {r['name']}, {len(ref['ids'] - r['ids'])} missing")
    by = {r['name']: r for r in rows}
    lines = [f"machine: {machine}", f"input: {n:,} generated sensor readings (JSON Lines, 1% malformed)", "",
             "| variant | seconds | events/s | vs PyFlink | vs Beam Python | vs Go loop | peak RSS | flagged |",
             "|---|---:|---:|---:|---:|---:|---:|---:|"]
    for r in rows:
        def ratio(other):
            o = by.get(other)
            return f"{r['rate'] / o['rate']:.2f}x" if o else "-"
        flagged = f"{len(r['ids']):,}" + (f" + {r['without']} without id" if r['without'] else "")
        rss = f"{r['rss'] / 1024:,.0f} MB" if r['rss'] else "-"
        lines.append(f"| {r['name']} | {r['secs']:.2f} | {r['rate']:,.0f} | {ratio('PyFlink (article job)')} | "
                     f"{ratio('Beam Python (DirectRunner)')} | {ratio('Go loop')} | {rss} | {flagged} |")
    lines.append("")
    lines.append("Peak RSS is the largest single process's (GNU time's %M): PyFlink's JVM and Beam Python's "
                 "workers are processes of their own, so theirs is a lower bound.")
    if problems:
        lines.append("**The threshold variants do not agree:** " + "; ".join(problems))
    else:
        lines.append(f"Every threshold variant flags the same {len(ref['ids']):,} readings (compared by reading_id). "
                     "Records flagged without a reading_id are malformed ones the article's code accepts "
                     "(`temperature: 1e400` parses to infinity); beamlens dead-letters them.")
    if extra:
        lines += ["", extra]
    table = "\n".join(lines)
    print(table)

    ratios = []
    for mine in (r for r in rows if r['name'].startswith('beamlens threshold')):
        for other, label in (('PyFlink (article job)', 'PyFlink'), ('Beam Python (DirectRunner)', 'Beam Python'), ('Go loop', 'Go loop')):
            if other in by:
                ratios.append(f"{mine['name']} = {mine['rate'] / by[other]['rate']:.2f}x {label}")
    summary = "ratios: " + ", ".join(ratios)

    try:
        import matplotlib
        matplotlib.use('Agg')
        import matplotlib.pyplot as plt
        fig, ax = plt.subplots(figsize=(8, 3.2))
        names = [r['name'] for r in rows]
        rates = [r['rate'] for r in rows]
        colors = ['#1f77b4' if r['name'].startswith('beamlens') else '#999999' for r in rows]
        ax.barh(names[::-1], rates[::-1], color=colors[::-1])
        ax.set_xscale('log')
        ax.set_xlabel('events/s (log scale), same input, same machine, same run')
        for i, v in enumerate(rates[::-1]):
            ax.text(v, i, f" {v:,.0f}", va='center', fontsize=8)
        fig.tight_layout()
        fig.savefig(png_path, dpi=110)
        chart = f"![events/s per variant]({png_path})"
    except ImportError:
        chart = "(no chart: matplotlib is not installed)"

    begin, end = "<!-- bench.sh:begin -->", "<!-- bench.sh:end -->"
    md = open(md_path).read()
    section = f"{begin}\n{table}\n\n{summary}\n\n{chart}\n{end}"
    if begin in md:
        md = md[:md.index(begin)] + section + md[md.index(end) + len(end):]
    else:
        md += "\n" + section + "\n"
    open(md_path, 'w').write(md)
    if problems:
        print("FAIL: " + "; ".join(problems), file=sys.stderr)
    print(summary)
    sys.exit(1 if problems else 0)


if __name__ == '__main__':
    main()
