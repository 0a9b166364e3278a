package llm

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/beamlens/beamlens/models/events"
)

// Offline finds themes with a lexicon of words and phrases, without a
// network: deterministic, free and fast (a few microseconds a review). It
// reads English only (OfflineLanguages). It is
// the themes pipeline's model when no API key is configured, and the model
// behind llmtest's fake server. Safe for concurrent use.
type Offline struct {
	// byFirst indexes phrases by their first stemmed word, longest first.
	byFirst map[string][]phrase
	// runtime: the lexicon has battery life, which is also found said
	// without a word of its lexicon (see saysRuntime, saysLevel).
	runtime bool
	// serving: the lexicon has customer service, also found as a person at
	// a place where people serve (see saysServingPeople).
	serving bool
}

const (
	batteryLife     = "battery life"
	customerService = "customer service"
)

// Stems of the verbs and time spans by which a review says how long a
// device runs on a charge without naming the battery.
var (
	runVerbs  = map[string]bool{"last": true, "run": true, "ran": true, "die": true, "died": true, "dying": true, "dead": true}
	dayVerbs  = map[string]bool{"last": true, "die": true, "died": true, "dying": true, "dead": true}
	hourSpans = map[string]bool{"hour": true, "hr": true, "minut": true, "min": true}
	daySpans  = map[string]bool{"day": true}
)

// saysRuntime reports whether a clause of ws pairs a verb of running or
// lasting with a span of hours or minutes ("runs about 2 hours on high",
// "died after 40 minutes") or, for lasting and dying, of days ("lasted the
// whole day"): battery life as an implicit aspect, found the rule-based
// way (a verb and a duration in one clause). Weeks, months and years are
// left out: "lasted a year" is about durability.
func saysRuntime(ws []word) bool {
	verb, dayVerb, hours, days := false, false, false, false
	for i := 0; i <= len(ws); i++ {
		if i == len(ws) || ws[i].stem == boundary {
			if verb && hours || dayVerb && days {
				return true
			}
			verb, dayVerb, hours, days = false, false, false, false
			continue
		}
		st := ws[i].stem
		verb = verb || runVerbs[st]
		dayVerb = dayVerb || dayVerbs[st]
		hours = hours || hourSpans[st]
		days = days || daySpans[st]
	}
	return false
}

// phrase is a lexicon entry: stems to match, or raw words where the entry
// wrote a word as "=word".
type phrase struct {
	words []string
	exact []bool
	theme string
}

// NewOffline returns an offline extractor using DefaultLexicon.
func NewOffline() *Offline {
	o, err := NewOfflineLexicon(defaultLexicon)
	if err != nil {
		panic("llm.NewOffline: " + err.Error())
	}
	return o
}

// NewOfflineLexicon returns an offline extractor using lex. Themes are
// normalised; a phrase listed under two different themes is an error.
func NewOfflineLexicon(lex Lexicon) (*Offline, error) {
	o := &Offline{byFirst: map[string][]phrase{}}
	owner := map[string]string{}
	themes := make([]string, 0, len(lex))
	for t := range lex {
		themes = append(themes, t)
	}
	sort.Strings(themes)
	for _, t := range themes {
		theme := events.NormaliseTheme(t)
		for _, p := range lex[t] {
			ph, ok := compilePhrase(p, theme)
			if !ok {
				return nil, fmt.Errorf("llm.NewOfflineLexicon: theme %q: phrase %q has no words or spans a clause", t, p)
			}
			key := fmt.Sprint(ph.words, ph.exact)
			if prev, ok := owner[key]; ok {
				if prev != theme {
					return nil, fmt.Errorf("llm.NewOfflineLexicon: phrase %q is listed under %q and %q", p, prev, theme)
				}
				continue
			}
			owner[key] = theme
			o.byFirst[ph.words[0]] = append(o.byFirst[ph.words[0]], ph)
		}
	}
	_, o.runtime = lex[batteryLife]
	_, o.serving = lex[customerService]
	for _, ps := range o.byFirst {
		sort.SliceStable(ps, func(i, j int) bool { return len(ps[i].words) > len(ps[j].words) })
	}
	return o, nil
}

// compilePhrase splits p into words, stemming all but those written "=word".
func compilePhrase(p, theme string) (phrase, bool) {
	ph := phrase{theme: theme}
	for _, f := range strings.Fields(p) {
		exact := strings.HasPrefix(f, "=")
		for _, w := range tokens(strings.TrimPrefix(f, "=")) {
			if w.stem == boundary {
				return phrase{}, false
			}
			if exact {
				ph.words = append(ph.words, w.raw)
			} else {
				ph.words = append(ph.words, w.stem)
			}
			ph.exact = append(ph.exact, exact)
		}
	}
	return ph, len(ph.words) > 0
}

// Themes returns the themes of text in the order they first appear; empty,
// not nil, when there are none.
func (o *Offline) Themes(text string) []string {
	out := []string{}
	add := func(theme string) {
		if theme != "" && !slices.Contains(out, theme) {
			out = append(out, theme)
		}
	}
	ws := tokens(text)
	for start := 0; start < len(ws); {
		end := start
		for end < len(ws) && ws[end].stem != boundary {
			end++
		}
		clause := ws[start:end]
		for i := 0; i < len(clause); {
			p, ok := o.match(clause[i:])
			if !ok {
				i++
				continue
			}
			theme := p.theme
			if len(p.words) == 1 && !p.exact[0] {
				if s, ok := senses[p.words[0]]; ok && s.from == theme {
					theme = s.resolve(clause)
				}
			}
			add(theme)
			i += len(p.words)
		}
		start = end + 1
	}
	if o.runtime && !slices.Contains(out, batteryLife) && (saysRuntime(ws) || saysLevel(ws)) {
		out = append(out, batteryLife)
	}
	if o.serving && !slices.Contains(out, customerService) && saysServingPeople(ws) {
		out = append(out, customerService)
	}
	return out
}

// match returns the longest phrase that ws starts with. Phrases are
// indexed by their first word's stem, or raw form when it is exact.
func (o *Offline) match(ws []word) (phrase, bool) {
	best, found := phrase{}, false
	// Raw first, so an exact phrase wins a tie with a stemmed one.
	for k, first := range [2]string{ws[0].raw, ws[0].stem} {
		if k == 1 && first == ws[0].raw {
			break
		}
		for _, p := range o.byFirst[first] {
			if len(p.words) > len(ws) || (found && len(p.words) <= len(best.words)) {
				continue
			}
			if p.matches(ws) {
				best, found = p, true
				break
			}
		}
	}
	return best, found
}

func (p phrase) matches(ws []word) bool {
	for k, w := range p.words {
		if (p.exact[k] && ws[k].raw != w) || (!p.exact[k] && ws[k].stem != w) {
			return false
		}
	}
	return true
}

// Extract implements Extractor. It fails items whose text is blank, with
// ErrBlankText, and items it cannot read - another language than
// OfflineLanguages, a script it does not know with no lexicon hit, no
// letters at all - with ErrNotCovered and the reason, rather than give them
// an empty list as if they had no themes. It returns an error only when
// ctx is done.
func (o *Offline) Extract(ctx context.Context, items []Item) ([]Result, error) {
	out := make([]Result, len(items))
	for i, it := range items {
		if i%256 == 0 {
			if err := ctx.Err(); err != nil {
				return nil, err
			}
		}
		out[i].ID = it.ID
		if strings.TrimSpace(it.Text) == "" {
			out[i].Err = ErrBlankText
			continue
		}
		themes := o.Themes(it.Text)
		if why := notCovered(it.Text, themes); why != "" {
			out[i].Err = fmt.Errorf("%w: %s", ErrNotCovered, why)
			continue
		}
		out[i].Themes = themes
	}
	return out, nil
}
