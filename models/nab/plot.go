package nab

import (
	"fmt"
	"html"
	"io"
	"sort"
)

// Entry is one detector's score on one profile, for the scoreboard plot.
type Entry struct {
	Name  string
	Score float64
	Ours  bool
}

// WriteSVG draws a horizontal bar chart of scores, highest first, with the
// entries marked Ours in a colour of their own. Scores below zero (the
// random and some published detectors go there on some profiles) are drawn
// from zero leftwards.
func WriteSVG(w io.Writer, title string, entries []Entry) error {
	es := append([]Entry(nil), entries...)
	sort.SliceStable(es, func(i, j int) bool { return es[i].Score > es[j].Score })
	const left, barH, gap, width = 180, 18, 6, 420
	lo, hi := 0.0, 100.0
	for _, e := range es {
		lo = min(lo, e.Score)
		hi = max(hi, e.Score)
	}
	x := func(v float64) float64 { return left + (v-lo)/(hi-lo)*width }
	height := 40 + len(es)*(barH+gap)
	fmt.Fprintf(w, `<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" font-family="sans-serif" font-size="12">`+"\n", left+width+70, height)
	fmt.Fprintf(w, `<text x="10" y="20" font-size="14" font-weight="bold">%s</text>`+"\n", html.EscapeString(title))
	for i, e := range es {
		y := 32 + i*(barH+gap)
		a, b := x(min(0, e.Score)), x(max(0, e.Score))
		fill := "#9aa5b1"
		if e.Ours {
			fill = "#d9480f"
		}
		fmt.Fprintf(w, `<text x="%d" y="%d" text-anchor="end">%s</text>`+"\n", left-6, y+13, html.EscapeString(e.Name))
		fmt.Fprintf(w, `<rect x="%.1f" y="%d" width="%.1f" height="%d" fill="%s"/>`+"\n", a, y, b-a, barH, fill)
		fmt.Fprintf(w, `<text x="%.1f" y="%d">%.1f</text>`+"\n", b+4, y+13, e.Score)
	}
	_, err := fmt.Fprintf(w, `<line x1="%.1f" y1="28" x2="%.1f" y2="%d" stroke="#333"/>`+"\n</svg>\n", x(0), x(0), height-4)
	return err
}
