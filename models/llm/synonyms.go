package llm

import (
	"bufio"
	"bytes"
	"fmt"
	"strings"

	"go.yaml.in/yaml/v3"
)

// Synonyms maps a theme to the answers that mean it: {"delivery":
// ["shipping", "courier"]} makes "shipping" and "Couriers" count as
// delivery. Answers are matched as a Normaliser folds them (case, spacing,
// edge punctuation and a plural last word do not matter).
type Synonyms map[string][]string

// DefaultSynonyms returns a copy of the table a Normaliser folds answers
// with unless told otherwise: common names of the DefaultThemes and of the
// offline model's other themes. None of its themes is another's synonym.
func DefaultSynonyms() Synonyms {
	out := make(Synonyms, len(defaultSynonyms))
	for k, v := range defaultSynonyms {
		out[k] = append([]string(nil), v...)
	}
	return out
}

var defaultSynonyms = Synonyms{
	"battery life": {
		"battery", "battery performance", "battery capacity", "battery drain",
		"battery duration", "battery runtime", "charge", "charging",
		"charging time", "power consumption",
	},
	"delivery": {
		"shipping", "shipment", "shipping time", "shipping speed", "delivery time",
		"delivery speed", "fast delivery", "slow delivery", "late delivery",
		"fast shipping", "slow shipping", "courier", "postage", "dispatch",
		"arrival", "transit",
	},
	"customer service": {
		"support", "customer support", "customer care", "service", "tech support",
		"technical support", "help desk", "helpdesk", "after-sales service",
		"after sales service", "seller support",
	},
	"price": {
		"cost", "value", "value for money", "pricing", "price point",
		"affordability", "expense",
	},
	"quality": {
		"build quality", "build", "product quality", "material quality",
		"material", "durability", "craftsmanship", "construction", "workmanship",
		"sturdiness",
	},
	"size/fit":  {"size", "fit", "sizing", "fitting", "size and fit", "fit and size", "size accuracy"},
	"packaging": {"package", "packing", "box", "wrapping", "packaging quality"},
	"ease of use": {
		"usability", "easy to use", "ease-of-use", "user friendliness",
		"user-friendliness", "user friendly", "setup", "set up", "set-up",
		"ease of setup", "installation", "ease of installation", "instructions",
		"manual",
	},
	"returns":       {"return", "refund", "return policy", "return process", "exchange"},
	"sound quality": {"sound", "audio", "audio quality"},
	"display":       {"screen", "screen quality", "display quality"},
	"performance":   {"speed"},
	"design":        {"look", "looks", "appearance", "aesthetics", "style", "styling"},
	"warranty":      {"guarantee"},
	"noise":         {"noise level", "loudness"},
}

// ParseSynonyms reads a synonyms file: a YAML mapping from each theme to
// the answers that mean it, as a list or, for one answer, a plain string.
//
//	# theme: answers that mean it
//	delivery: [shipping, courier, postage]
//	customer service:
//	  - support
//	  - help desk
//	price: cost
//
// A theme listed twice, a key or an answer that is not a string, and an
// empty answer are errors, reported with their line.
func ParseSynonyms(data []byte) (Synonyms, error) {
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return nil, fmt.Errorf("synonyms: %w", err)
	}
	out := Synonyms{}
	if len(doc.Content) == 0 {
		return out, nil // empty file, or comments only
	}
	m := doc.Content[0]
	if m.Kind != yaml.MappingNode {
		return nil, fmt.Errorf("synonyms: line %d: want a mapping of theme: [answers], got a %s", m.Line, kindName(m))
	}
	lines := map[string]int{}
	for i := 0; i+1 < len(m.Content); i += 2 {
		k, v := m.Content[i], m.Content[i+1]
		if k.Kind != yaml.ScalarNode || cleanTheme(k.Value) == "" {
			return nil, fmt.Errorf("synonyms: line %d: a theme must be a non-empty string", k.Line)
		}
		theme := cleanTheme(k.Value)
		if prev, ok := lines[theme]; ok {
			return nil, fmt.Errorf("synonyms: line %d: theme %q is already listed on line %d", k.Line, theme, prev)
		}
		lines[theme] = k.Line
		answers, err := answerList(v)
		if err != nil {
			return nil, fmt.Errorf("synonyms: theme %q: %w", theme, err)
		}
		out[theme] = answers
	}
	return out, nil
}

// answerList reads a theme's answers: a string, a list of strings, or
// nothing.
func answerList(v *yaml.Node) ([]string, error) {
	var nodes []*yaml.Node
	switch {
	case v.Kind == yaml.ScalarNode && v.Tag == "!!null":
		return []string{}, nil
	case v.Kind == yaml.ScalarNode:
		nodes = []*yaml.Node{v}
	case v.Kind == yaml.SequenceNode:
		nodes = v.Content
	default:
		return nil, fmt.Errorf("line %d: want a string or a list of strings, got a %s", v.Line, kindName(v))
	}
	out := make([]string, 0, len(nodes))
	for _, n := range nodes {
		if n.Kind != yaml.ScalarNode || n.Tag == "!!null" {
			return nil, fmt.Errorf("line %d: want a string, got a %s", n.Line, kindName(n))
		}
		if cleanTheme(n.Value) == "" {
			return nil, fmt.Errorf("line %d: empty answer", n.Line)
		}
		out = append(out, n.Value)
	}
	return out, nil
}

func kindName(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "mapping"
	case yaml.SequenceNode:
		return "list"
	case yaml.AliasNode:
		return "alias"
	}
	if n.Tag == "!!null" {
		return "null"
	}
	return "scalar"
}

// ParseTaxonomy reads a taxonomy file: one theme per line. Blank lines and
// lines starting with # are skipped. A file with no theme is an error.
func ParseTaxonomy(data []byte) ([]string, error) {
	var out []string
	sc := bufio.NewScanner(bytes.NewReader(data))
	for line := 1; sc.Scan(); line++ {
		s := sc.Text()
		if line == 1 {
			s = strings.TrimPrefix(s, "\uFEFF")
		}
		s = strings.TrimSpace(s)
		if s == "" || strings.HasPrefix(s, "#") {
			continue
		}
		if cleanTheme(s) == "" {
			return nil, fmt.Errorf("taxonomy: line %d: %q is not a theme", line, s)
		}
		out = append(out, s)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("taxonomy: %w", err)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("taxonomy: no theme listed")
	}
	return out, nil
}
