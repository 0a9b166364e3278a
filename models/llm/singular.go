package llm

import (
	"strings"
	"unicode"
)

// singularPhrase folds the last word of a theme to its singular, so that
// "batteries" and "battery", "battery lives" and "battery life" count as
// one theme. Only the last word changes: it is the head noun of a short
// English noun phrase ("delivery times", "ease of use", "size/fit").
func singularPhrase(s string) string {
	i := strings.LastIndexFunc(s, func(r rune) bool { return !unicode.IsLetter(r) })
	return s[:i+1] + singular(s[i+1:])
}

// singular returns the singular of a lower-case English noun. The rules are
// the regular ones, with the exceptions product reviews meet: words that are
// plural only or end in s in the singular are left alone. Unlike stem, which
// only has to be consistent, the result is shown to people, so a word the
// rules would mangle is better left as it is.
func singular(w string) string {
	if len(w) <= 3 || keepAsIs[w] {
		return w
	}
	if s, ok := irregularPlurals[w]; ok {
		return s
	}
	switch {
	case strings.HasSuffix(w, "ss"), strings.HasSuffix(w, "us"),
		strings.HasSuffix(w, "is"), strings.HasSuffix(w, "ics"):
		return w // glass, status, chassis, electronics
	case strings.HasSuffix(w, "ies"):
		if len(w) == 4 || ieSingulars[w[:len(w)-1]] {
			return w[:len(w)-1] // ties, movies, cookies
		}
		return w[:len(w)-3] + "y" // batteries, accessories
	case strings.HasSuffix(w, "sses"), strings.HasSuffix(w, "shes"),
		strings.HasSuffix(w, "ches"), strings.HasSuffix(w, "xes"), strings.HasSuffix(w, "zzes"):
		return w[:len(w)-2] // boxes, watches, brushes
	case strings.HasSuffix(w, "s"):
		return w[:len(w)-1] // sizes, colours, shoes
	}
	return w
}

// keepAsIs holds words the rules would wrongly fold: plural only, or
// singular ending in s.
var keepAsIs = map[string]bool{
	"news": true, "series": true, "species": true, "means": true, "lens": true,
	"glasses": true, "sunglasses": true, "jeans": true, "pants": true,
	"shorts": true, "trousers": true, "leggings": true, "tights": true,
	"pajamas": true, "pyjamas": true, "scissors": true, "clothes": true,
	"goods": true, "thanks": true, "headphones": true, "earphones": true,
	"instructions": true, "directions": true, "specs": true, "returns": true,
	"sales": true, "savings": true, "surroundings": true, "people": true, "canvas": true,
	"bias": true, "atlas": true, "alias": true, "chaos": true,
}

// irregularPlurals maps plurals the rules do not reach to their singular.
var irregularPlurals = map[string]string{
	"lives": "life", "knives": "knife", "wives": "wife", "shelves": "shelf",
	"leaves": "leaf", "halves": "half", "scarves": "scarf", "wolves": "wolf",
	"calves": "calf", "loaves": "loaf", "thieves": "thief", "selves": "self",
	"men": "man", "women": "woman", "children": "child", "feet": "foot",
	"teeth": "tooth", "mice": "mouse", "geese": "goose",
	"lenses": "lens", "buses": "bus", "gases": "gas", "statuses": "status",
	"tomatoes": "tomato", "potatoes": "potato", "heroes": "hero", "echoes": "echo",
	"analyses": "analysis", "criteria": "criterion", "phenomena": "phenomenon",
	"aches": "ache", "headaches": "headache", "caches": "cache", "niches": "niche",
	"cliches": "cliche", "moustaches": "moustache", "mustaches": "mustache",
}

// ieSingulars are singulars ending in "ie", whose plural is not "-y" + "ies".
var ieSingulars = map[string]bool{
	"movie": true, "cookie": true, "calorie": true, "selfie": true,
	"hoodie": true, "rookie": true, "brownie": true, "zombie": true,
	"smoothie": true, "freebie": true, "goalie": true, "lingerie": true,
}
