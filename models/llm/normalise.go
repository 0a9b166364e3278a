package llm

import (
	"fmt"
	"slices"
	"sort"
	"strings"
	"unicode"

	"github.com/beamlens/beamlens/models/events"
)

// NormaliserOptions configures a Normaliser. The zero value folds answers
// with DefaultSynonyms and keeps every theme. It is plain data, so a Beam
// DoFn may hold it in an exported field.
type NormaliserOptions struct {
	// Synonyms are folded on top of DefaultSynonyms: where both name an
	// answer, Synonyms wins, and a theme listed here keeps its own name even
	// if the defaults fold it into another ("shipping: [postage]" makes
	// shipping a theme of its own). Default: none.
	Synonyms Synonyms
	// NoDefaultSynonyms leaves DefaultSynonyms out. Default false.
	NoDefaultSynonyms bool
	// Taxonomy, when not empty, closes the set of themes: every answer is mapped
	// onto one of these, directly or through the synonyms ("shipping" onto
	// "delivery"), or dropped. A review whose answers all miss the taxonomy
	// keeps an empty list of themes. Two entries that the synonyms fold
	// together each keep their own name, and their other synonyms go to the
	// one listed first. Default: none (open: any answer is a theme).
	Taxonomy []string
}

// Normaliser folds the themes a model answers onto a consistent set of
// labels: lower case, trimmed of white space and edge punctuation, a plural
// last word made singular ("Batteries" -> "battery"), then synonyms folded
// ("battery" -> "battery life"), and in taxonomy mode mapped onto a closed
// list. Safe for concurrent use.
type Normaliser struct {
	to       map[string]string // folded answer -> theme, chains resolved
	closed   bool
	taxonomy map[string]string // folded answer or theme -> taxonomy entry
}

// NewNormaliser builds a Normaliser. Synonyms that fold into each other in a
// loop, an answer listed under two themes of Synonyms, and an empty or
// repeated taxonomy entry are errors.
func NewNormaliser(o NormaliserOptions) (*Normaliser, error) {
	n := &Normaliser{to: map[string]string{}}
	var layers []Synonyms
	if !o.NoDefaultSynonyms {
		layers = append(layers, defaultSynonyms)
	}
	for _, layer := range append(layers, o.Synonyms) {
		if err := n.add(layer); err != nil {
			return nil, fmt.Errorf("llm.NewNormaliser: %w", err)
		}
	}
	if err := n.resolve(); err != nil {
		return nil, fmt.Errorf("llm.NewNormaliser: %w", err)
	}
	if len(o.Taxonomy) > 0 {
		if err := n.close(o.Taxonomy); err != nil {
			return nil, fmt.Errorf("llm.NewNormaliser: %w", err)
		}
	}
	return n, nil
}

// add folds one layer of synonyms over the ones before it: first each theme
// claims its own name, then the answers are pointed at their themes.
func (n *Normaliser) add(layer Synonyms) error {
	themes := make([]string, 0, len(layer))
	for t := range layer {
		themes = append(themes, t)
	}
	sort.Strings(themes)
	for _, t := range themes {
		theme := cleanTheme(t)
		if theme == "" {
			return fmt.Errorf("synonyms: empty theme")
		}
		n.to[foldTheme(theme)] = theme
	}
	owner := map[string]string{}
	for _, t := range themes {
		theme := cleanTheme(t)
		for _, a := range layer[t] {
			k := foldTheme(a)
			if k == "" {
				return fmt.Errorf("synonyms: theme %q: empty answer", theme)
			}
			if prev, ok := owner[k]; ok && prev != theme {
				return fmt.Errorf("synonyms: %q is listed under %q and %q", a, prev, theme)
			}
			owner[k] = theme
			n.to[k] = theme
		}
	}
	return nil
}

// resolve follows chains ("cost" -> "price" -> "value for money", when a
// later layer made price an answer) so that each answer maps to a theme in
// one step.
func (n *Normaliser) resolve() error {
	keys := make([]string, 0, len(n.to))
	for k := range n.to {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	out := make(map[string]string, len(n.to))
	for _, k := range keys {
		theme := n.to[k]
		path := []string{k, theme}
		for {
			next, ok := n.to[foldTheme(theme)]
			if !ok || next == theme {
				break
			}
			loop := slices.Contains(path, next)
			path = append(path, next)
			if loop {
				return fmt.Errorf("synonyms fold in a loop: %s", strings.Join(path, " -> "))
			}
			theme = next
		}
		out[k] = theme
	}
	n.to = out
	return nil
}

// close sets the taxonomy: each entry is matched by its own name first,
// then by the theme its name folds to.
func (n *Normaliser) close(taxonomy []string) error {
	n.closed = true
	n.taxonomy = map[string]string{}
	for _, t := range taxonomy {
		theme := cleanTheme(t)
		if theme == "" {
			return fmt.Errorf("taxonomy: empty theme")
		}
		k := foldTheme(theme)
		if prev, ok := n.taxonomy[k]; ok {
			return fmt.Errorf("taxonomy: %q and %q are the same theme", prev, theme)
		}
		n.taxonomy[k] = theme
	}
	for _, t := range taxonomy {
		theme := cleanTheme(t)
		class := foldTheme(n.lookup(foldTheme(theme)))
		if _, ok := n.taxonomy[class]; !ok {
			n.taxonomy[class] = theme
		}
	}
	return nil
}

// lookup returns the theme a folded answer maps to, or the answer itself.
func (n *Normaliser) lookup(k string) string {
	if t, ok := n.to[k]; ok {
		return t
	}
	return k
}

// Theme returns the theme an answer folds to, and false when the answer is
// blank or, in taxonomy mode, maps onto no entry of the taxonomy.
func (n *Normaliser) Theme(answer string) (string, bool) {
	k := foldTheme(answer)
	if k == "" {
		return "", false
	}
	if !n.closed {
		return n.lookup(k), true
	}
	if t, ok := n.taxonomy[k]; ok {
		return t, true
	}
	t, ok := n.taxonomy[foldTheme(n.lookup(k))]
	return t, ok
}

// Themes folds answers with Theme, dropping those it rejects and
// duplicates, in the order first found. It always returns a non-nil slice.
func (n *Normaliser) Themes(answers []string) []string {
	out := make([]string, 0, len(answers))
	for _, a := range answers {
		if t, ok := n.Theme(a); ok && !slices.Contains(out, t) {
			out = append(out, t)
		}
	}
	return out
}

// cleanTheme lower-cases s, collapses its white space and trims
// punctuation from its ends ("Battery life." -> "battery life").
func cleanTheme(s string) string {
	return strings.TrimFunc(events.NormaliseTheme(s), func(r rune) bool {
		return unicode.IsPunct(r) || unicode.IsSpace(r)
	})
}

// foldTheme is the key an answer is matched by: cleaned, last word
// singular.
func foldTheme(s string) string { return singularPhrase(cleanTheme(s)) }
