package llm

// Lexicon maps a theme to the words and phrases that signal it. Phrases are
// matched on lightly stemmed words within one clause, longest first, and a
// matched phrase consumes its words: "out of the box" (ease of use) keeps
// "box" from counting as packaging, "feels cheap" (quality) keeps "cheap"
// from counting as price. Phrases listed under the empty theme consume words
// and report nothing ("support for", as in "support for bluetooth").
type Lexicon map[string][]string

// DefaultLexicon returns a copy of the lexicon that ships with beamlens: the
// eight DefaultThemes and a few more (returns, noise, sound quality,
// display, performance, design, warranty).
func DefaultLexicon() Lexicon {
	out := make(Lexicon, len(defaultLexicon))
	for k, v := range defaultLexicon {
		out[k] = append([]string(nil), v...)
	}
	return out
}

var defaultLexicon = Lexicon{
	"battery life": {
		"battery", "battery life", "battery pack", "charge", "charger", "recharge",
		"rechargeable", "charging cable", "drain", "power bank", "runtime", "run time",
		"stays charged", "holds a charge", "holds its charge",
		// Synonym set: how people say how long it runs.
		"mah", "juice", "standby", "standby time", "screen on time",
		"lasts all day", "last all day", "lasted all day", "needs charging",
		"plugged in", "unplugged", "charge cycle", "cells",
		// How long a device runs, by kind of device (spec sheets' names:
		// playback time for audio, flight time for drones, range for
		// e-bikes and electric cars), and topping it up.
		"play time", "playtime", "playback time", "listening time", "talk time",
		"flight time", "air time", "range", "miles of range", "mile range",
		"top up", "topped up", "topping up", "power cord",
	},
	"delivery": {
		"delivery", "deliver", "shipping", "shipment", "ship", "courier", "parcel",
		"arrive", "arrival", "dispatch", "in transit", "transit", "postage",
		"tracking number", "slow shipping", "slow delivery", "next day delivery",
		"postman", "delivery driver", "lost in the mail", "package arrived",
		"package was late", "package came", "order arrived", "took weeks to come",
	},
	"customer service": {
		"customer service", "customer support", "customer care", "support",
		"tech support", "technical support", "support team", "help desk",
		"helpdesk", "help line", "helpline", "service", "on hold", "rude",
		"never responded", "never replied", "no response", "live chat", "agent",
		"representative", "call centre", "call center",
		// Synonym set: the people who serve a customer (WordNet's
		// employee, waiter, server, attendant, clerk, salesperson ...).
		"staff", "staff member", "employee", "worker", "personnel", "waiter",
		"waitress", "waitstaff", "wait staff", "waiting staff", "our server",
		"my server", "hostess", "bartender", "barista", "cashier", "clerk",
		"manager", "receptionist", "front desk", "concierge", "salesperson",
		"salesman", "saleswoman", "sales rep", "sales assistant",
		"shop assistant", "store associate", "support desk", "service desk",
		"seller", "the owner", "crew",
		// ... and how they treat people.
		"attitude", "attentive", "inattentive", "courteous", "discourteous",
		"polite", "impolite", "unprofessional", "hospitality", "hospitable",
		"welcoming", "unhelpful", "helpful staff", "ignored us", "ignored me",
		"apologized", "apologised", "apology",
		// Synonym set: reaching them and being answered (or not).
		"replied", "responded", "response time", "got back to", "get back to",
		"never got back", "emailed them", "contacted them", "reached out",
		"hung up", "hang up", "transferred", "put on hold", "call back",
		"callback", "follow up", "escalated", "complaint", "rep", "reps",
		"technician", "repairman", "installer", "at the counter",
		"behind the counter", "take our order", "took our order",
		"taken our order", "take my order", "took my order", "checked on us",
		"check on us", "served us", "serve us",
	},
	"price": {
		"price", "pricey", "overpriced", "expensive", "cheap", "cheaper", "cheapest",
		"money", "worth the money", "worth it", "worth every penny", "value",
		"value for money", "affordable", "cost", "costly", "bargain", "great deal",
		"good deal", "discount", "on sale", "budget",
		// Synonym set: what it costs and whether that is fair.
		"inexpensive", "pricing", "priced", "reasonably priced", "overcharged",
		"overcharge", "rip off", "ripoff", "steep", "pricy", "price tag",
		"for the money", "bang for the buck", "bang for your buck",
		"moneys worth", "bill", "dollars", "bucks", "paid", "pay", "costs",
		"half the price", "twice the price", "not worth", "worth the price",
		// Synonym set (WordNet's cost, charge, fee, rate; worth; money and
		// its units), with a money amount's currency sign ("$40", "£5"),
		// which the tokeniser reads as the word ¤.
		"¤", "fee", "fees", "fare", "surcharge", "markup", "mark up",
		"charged me", "charged us", "charged extra", "charged for", "quoted",
		"room rate", "nightly rate", "hourly rate", "reasonable rate",
		"every cent", "every penny", "cents", "pennies", "quid", "euros",
		"cash grab", "cash", "splurge", "spend", "spent", "afford",
		"price hike", "price increase", "deal", "deals", "a steal",
		"you get what you pay for",
	},
	"quality": {
		"quality", "build quality", "well made", "poorly made", "badly made",
		"cheaply made", "feels cheap", "looks cheap", "cheap plastic",
		"cheap material", "solid", "solid build", "sturdy", "flimsy", "durable",
		"durability", "broke", "broken", "break", "fell apart", "falls apart",
		"came apart", "coming apart", "stitching", "material", "premium",
		"defective", "faulty", "craftsmanship", "well built", "poorly built",
		"cracked", "ripped", "wore out", "worn out", "feels premium", "high end",
		"fit for purpose",
	},
	"size/fit": {
		"size", "sizing", "fit", "size chart", "runs small", "runs large",
		"runs big", "too small", "too big", "too large", "too tight", "too loose",
		"too short", "too long", "true to size", "one size", "snug",
	},
	"packaging": {
		"packaging", "package", "packed", "box", "boxed", "unboxing", "padding",
		"bubble wrap", "wrapped", "wrapping", "flimsy bag", "plastic bag",
		"paper bag", "flimsy box", "flimsy packaging", "no padding",
		"well packed", "poorly packed", "crushed box", "box was crushed",
	},
	"ease of use": {
		"easy to use", "easy to set up", "easy to setup", "easy to install",
		"easy to assemble", "easy to clean", "easy setup", "hard to use",
		"difficult to use", "hard to set up", "difficult to set up",
		"simple to use", "simple to set up", "intuitive", "unintuitive",
		"confusing", "user friendly", "setup", "set up", "installation",
		"install", "manual", "instructions", "figure out", "figured out",
		"out of the box", "learning curve", "straightforward", "complicated",
		"plug and play", "ease of use",
	},
	"returns": {
		"return", "returning", "refund", "money back", "exchange",
		"return policy", "sent it back", "send it back",
	},
	"noise": {"noise", "noisy", "loud", "quiet", "silent", "rattle", "buzzing"},
	"sound quality": {
		"sound quality", "audio quality", "sound", "audio", "bass", "treble",
		"speaker", "speakers",
	},
	"display": {"screen", "display", "brightness", "resolution", "touchscreen"},
	"performance": {
		"performance", "lag", "laggy", "sluggish", "powerful", "responsive",
		"processor", "freezes", "crashes",
	},
	"design": {
		"design", "stylish", "looks great", "looks good", "looks nice",
		"looks beautiful", "ugly", "colour", "color", "aesthetic", "sleek",
	},
	"warranty": {"warranty", "guarantee"},
	// Phrases that would otherwise be misread.
	"": {
		"best seller", "bestseller", "pay attention", "paid attention",
		"support for", "=supports", "=supported", "out of service", "sounds like", "service station",
		"range of", "wide range", "full range", "price range", "range from", "ranges from",
		"spent hours", "spent time", "spend time", "spend hours", "deal with", "dealt with",
		"dealing with", "big deal", "no big deal",
		"no complaints", "no complaint", "complaints about",
		// Billing, not charging a battery.
		"charged my card", "charged my credit card", "double charged",
	},
}
