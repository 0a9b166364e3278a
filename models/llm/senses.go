package llm

import "strings"

// A few words of the lexicon have two senses, and the words around them in
// their clause tell which is meant, the way word-sense disambiguation by
// collocation does it ("one sense per collocation"): "charges" is a
// battery's in "charges in an hour" and a bill's in "charges 12 quid a
// pint"; "spent" is money in "spent $200" and time in "spent the day".
// A sense applies to a one-word phrase of the lexicon listed under from:
// when its clause has a cue and no keep word, it counts as to instead
// ("" for no theme).
type sense struct {
	from, to   string
	cues, keep map[string]bool
}

// senses are keyed by the phrase's stem.
var senses = map[string]sense{
	// Charging a battery or charging a customer.
	stem("charge"): {
		from: batteryLife, to: "price",
		cues: stems("¤ quid buck bucks dollar dollars euro euros cent cents penny fee fees bill billed billing " +
			"account card credit credited statement invoice recognise recognize unauthorised unauthorized " +
			"hidden extra price cost costs customer customers overcharge refund dispute disputed quoted amount paid pay"),
		keep: stems("battery batteries fast quick quickly slow slowly hour hours hr hrs minute minutes min " +
			"overnight full fully single wireless wirelessly usb cable port % mah dock watt watts plug outlet"),
	},
	// Spending money or spending time.
	stem("spend"): spendSense,
	stem("spent"): spendSense,
	// The battery as a part (its cover, its contacts, whether it can be
	// swapped or leaks), not how long it runs.
	stem("battery"): {
		from: batteryLife, to: "",
		cues: stems("compartment cover door hatch lid contact contacts terminal terminals holder tray " +
			"removable replaceable swappable glued soldered leaked leaking corroded corrosion"),
		keep: stems("life last lasts lasted lasting drain drains drained hour hours day days week weeks " +
			"charge charges charging charged die dies died dead runtime health % mah long longer short " +
			"full low empty"),
	},
}

var spendSense = sense{
	from: "price", to: "",
	cues: stems("day days night nights hour hours minute minutes week weekend morning afternoon evening " +
		"time monday tuesday wednesday thursday friday saturday sunday vacation holiday trip summer " +
		"winter ages forever life"),
	keep: stems("¤ money buck bucks dollar dollars euro euros quid penny cents fortune lot much more " +
		"less extra cash budget"),
}

// stems returns the set of the stems of the words in s.
func stems(s string) map[string]bool {
	m := map[string]bool{}
	for _, w := range strings.Fields(s) {
		if w == "¤" || w == "%" {
			m[w] = true
			continue
		}
		m[stem(w)] = true
	}
	return m
}

// resolve returns the theme a one-word phrase p stands for in clause.
func (s sense) resolve(clause []word) string {
	cue := false
	for _, w := range clause {
		if s.keep[w.stem] {
			return s.from
		}
		cue = cue || s.cues[w.stem]
	}
	if cue {
		return s.to
	}
	return s.from
}

// People who might serve a customer, and the places where they do: "the
// guy on the phone", "nobody at the store", "the desk people". A clause
// naming both is about customer service.
var (
	servingPeople = stems("people person guy guys lady ladies woman women man men girl girls dude dudes " +
		"folks nobody somebody someone anyone everyone everybody staffer staffers gentleman " +
		"gentlemen fellow chap")
	servingPlaces = stems("desk counter store shop reception register checkout till gate phone window " +
		"booth branch office lobby front door bank pharmacy dealership")
)

// saysServingPeople reports whether a clause of ws names a person and a
// place where people serve customers ("no one" counts as a person).
func saysServingPeople(ws []word) bool {
	person, place := false, false
	for i := 0; i <= len(ws); i++ {
		if i == len(ws) || ws[i].stem == boundary {
			if person && place {
				return true
			}
			person, place = false, false
			continue
		}
		st := ws[i].stem
		person = person || servingPeople[st] || (st == "one" && i > 0 && ws[i-1].stem == "no")
		place = place || servingPlaces[st]
	}
	return false
}

// Cues that a percentage is a battery's level ("still at 30% at bedtime",
// "down to 20%", "84% health"), and cues that it is something else: a
// discount, a tip, a share.
var (
	levelCues    = stems("left remaining remain still down drop drops dropped dropping hit hits health drain drains drained")
	notLevelCues = stems("off discount sale cheaper ¤ price tip tax fee interest cashback save saved more less " +
		"brightness volume humidity cpu accuracy alcohol abv cotton polyester wool")
)

var pctWord, percentWord = stem("percentage"), stem("percent")

// saysLevel reports whether a clause of ws gives a battery level as a
// percentage.
func saysLevel(ws []word) bool {
	pct, level, not := false, false, false
	for i := 0; i <= len(ws); i++ {
		if i == len(ws) || ws[i].stem == boundary {
			if pct && level && !not {
				return true
			}
			pct, level, not = false, false, false
			continue
		}
		st := ws[i].stem
		pct = pct || st == "%" || st == pctWord || st == percentWord
		level = level || levelCues[st]
		not = not || notLevelCues[st]
	}
	return false
}
