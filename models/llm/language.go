package llm

import (
	"fmt"
	"strings"
	"unicode"
)

// OfflineLanguages are the languages the offline model's lexicon covers.
// A review in another language, or in a script it cannot read, is not
// given an empty list of themes as if it had none: it fails with
// ErrNotCovered and the reason.
var OfflineLanguages = []string{"English"}

// scripts are the writing systems told apart, by name, besides Latin.
var scripts = []struct {
	name  string
	table *unicode.RangeTable
}{
	{"Japanese (kana)", unicode.Hiragana}, {"Japanese (kana)", unicode.Katakana},
	{"Chinese or Japanese (Han)", unicode.Han}, {"Korean (Hangul)", unicode.Hangul},
	{"Cyrillic", unicode.Cyrillic}, {"Arabic", unicode.Arabic}, {"Hebrew", unicode.Hebrew},
	{"Greek", unicode.Greek}, {"Thai", unicode.Thai}, {"Devanagari", unicode.Devanagari},
}

// stopwords are the most frequent short words of the Latin-script languages
// most often met in marketplace reviews after English (as in the
// multilingual Amazon reviews corpus: de, es, fr; plus it, pt, nl). A
// review is taken for one of them when their words clearly outnumber
// English ones: closed-class words are the cheapest reliable language cue,
// and the offline model only needs to know whether a text is English.
var stopwords = map[string][]string{
	"English":    {"the", "and", "is", "was", "it", "to", "of", "for", "with", "this", "not", "but", "very", "my", "in", "on", "too", "i", "a", "after", "are", "were", "that", "so", "at", "be", "has", "have"},
	"French":     {"de", "le", "la", "les", "et", "est", "ne", "pas", "très", "une", "un", "des", "du", "pour", "avec", "mais", "trop", "il", "elle", "je", "sont", "été", "qui", "au", "ce", "cette"},
	"German":     {"der", "die", "das", "und", "ist", "nicht", "sehr", "ein", "eine", "mit", "für", "aber", "zu", "kam", "war", "hält", "ich", "es", "auf", "den", "dem", "auch", "noch", "nur"},
	"Spanish":    {"de", "el", "la", "los", "las", "y", "es", "muy", "una", "un", "con", "para", "pero", "no", "poco", "mucho", "que", "del", "se", "por", "lo", "fue", "está"},
	"Italian":    {"il", "lo", "gli", "e", "è", "molto", "una", "un", "con", "per", "ma", "non", "che", "della", "sono", "stato", "troppo"},
	"Portuguese": {"o", "os", "as", "e", "é", "muito", "uma", "um", "com", "para", "mas", "não", "que", "do", "da", "foi", "está"},
	"Dutch":      {"de", "het", "een", "en", "is", "niet", "zeer", "heel", "met", "voor", "maar", "te", "van", "werkt", "was", "ik"},
}

var stopwordSets = func() map[string]map[string]bool {
	out := map[string]map[string]bool{}
	for lang, ws := range stopwords {
		out[lang] = map[string]bool{}
		for _, w := range ws {
			out[lang][w] = true
		}
	}
	return out
}()

// notCovered says why the offline model cannot read text, given the themes
// it found there, or "" when it can: a text mostly in a script other than
// Latin with no lexicon hit, a text with no letters at all (emoji,
// symbols), or a Latin-script text in another language.
func notCovered(text string, themes []string) string {
	letters, latin := 0, 0
	other := map[string]int{}
	for _, r := range text {
		if !unicode.IsLetter(r) {
			continue
		}
		letters++
		if unicode.Is(unicode.Latin, r) {
			latin++
			continue
		}
		for _, s := range scripts {
			if unicode.Is(s.table, r) {
				other[s.name]++
				break
			}
		}
	}
	covers := strings.Join(OfflineLanguages, ", ")
	switch {
	case letters == 0:
		return "no words to read (emoji or symbols only); the offline model reads " + covers
	case latin*2 < letters && len(themes) == 0:
		name, most := "a non-Latin script", 0
		for n, c := range other {
			if c > most || (c == most && n < name) {
				name, most = n, c
			}
		}
		return fmt.Sprintf("written in %s, which the offline model cannot read (it reads %s)", name, covers)
	}
	if lang := latinLanguage(text); lang != "" && lang != "English" {
		return fmt.Sprintf("looks like %s; the offline model reads %s", lang, covers)
	}
	return ""
}

// latinLanguage guesses the language of a Latin-script text by its
// stopwords: "" when there are too few to tell, else the language whose
// stopwords are at least two and twice as many as any other's.
func latinLanguage(text string) string {
	count := map[string]int{}
	for _, f := range strings.FieldsFunc(strings.ToLower(text), func(r rune) bool {
		return !unicode.IsLetter(r) && r != '\''
	}) {
		for lang, set := range stopwordSets {
			if set[f] {
				count[lang]++
			}
		}
	}
	best := ""
	for lang, c := range count {
		if best == "" || c > count[best] || (c == count[best] && lang < best) {
			best = lang
		}
	}
	second := 0
	for lang, c := range count {
		if lang != best {
			second = max(second, c)
		}
	}
	if count[best] < 2 || count[best] < 2*second {
		return ""
	}
	return best
}
