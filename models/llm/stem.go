package llm

import (
	"strings"
	"unicode"
)

// boundary separates clauses in a token stream, so that a phrase never
// matches across a comma or a full stop.
const boundary = "|"

// word is one token of a text: its lower-case form and its stem.
type word struct{ raw, stem string }

// tokens splits text into lower-case, lightly stemmed words, with boundary
// at clause punctuation. Apostrophes join ("doesn't" -> "doesnt"); any other
// non-letter, non-digit separates ("user-friendly" -> "user", "friendly").
func tokens(text string) []word {
	var out []word
	var b strings.Builder
	flush := func() {
		if b.Len() > 0 {
			out = append(out, word{raw: b.String(), stem: stem(b.String())})
			b.Reset()
		}
	}
	lastLatin := true
	for _, r := range text {
		switch {
		case unicode.IsLetter(r) || unicode.IsDigit(r):
			// A change of script ends a word: Japanese and Chinese write
			// borrowed Latin words without spaces ("iPhoneのbattery").
			latin := r < 0x250 || unicode.IsDigit(r)
			if latin != lastLatin {
				flush()
			}
			lastLatin = latin
			b.WriteRune(unicode.ToLower(r))
		case unicode.Is(unicode.Sc, r):
			// A currency sign is a word of its own, the same for every
			// currency: "$40", "40€" and "£5" all say "¤".
			flush()
			out = append(out, word{raw: "¤", stem: "¤"})
		case r == '%':
			// A percentage ("still at 30%") is a word too.
			flush()
			out = append(out, word{raw: "%", stem: "%"})
		case r == '\'' || r == '\u2019':
		case strings.ContainsRune(".,;:!?()[]\n", r):
			flush()
			if len(out) > 0 && out[len(out)-1].stem != boundary {
				out = append(out, word{raw: boundary, stem: boundary})
			}
		default:
			flush()
		}
	}
	flush()
	return out
}

// stem strips the common English inflections so that "charges",
// "charging", "charged" and "charge" all become "charg". It is deliberately
// light: lexicon phrases go through the same function, so only consistency
// matters, not linguistic accuracy.
func stem(w string) string {
	if len(w) <= 3 {
		return w
	}
	switch {
	case strings.HasSuffix(w, "ies") && len(w) > 4:
		w = w[:len(w)-3] + "y"
	case strings.HasSuffix(w, "sses"):
		w = w[:len(w)-2]
	case strings.HasSuffix(w, "xes") || strings.HasSuffix(w, "ches") || strings.HasSuffix(w, "shes"):
		w = w[:len(w)-2]
	case strings.HasSuffix(w, "s") && !strings.HasSuffix(w, "ss") &&
		!strings.HasSuffix(w, "us") && !strings.HasSuffix(w, "is"):
		w = w[:len(w)-1]
	}
	switch {
	case strings.HasSuffix(w, "ing") && len(w) >= 6:
		w = undouble(w[:len(w)-3])
	case strings.HasSuffix(w, "ed") && len(w) >= 5:
		w = undouble(w[:len(w)-2])
	}
	if len(w) > 3 && strings.HasSuffix(w, "e") {
		w = w[:len(w)-1]
	}
	return w
}

// undouble turns "shipp" into "ship" and "fitt" into "fit", keeping the
// doubles that English keeps at the end of a word ("ll", "ss", "zz").
func undouble(w string) string {
	n := len(w)
	if n < 3 || w[n-1] != w[n-2] {
		return w
	}
	switch w[n-1] {
	case 'l', 's', 'z', 'a', 'e', 'i', 'o', 'u':
		return w
	}
	return w[:n-1]
}
