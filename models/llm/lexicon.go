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
		// A robot's runtime: it goes back to its dock to charge; and the
		// modes that stretch a charge; and lasting the working day.
		"back to the dock", "back to its dock", "back to dock", "back to the base",
		"back to its base", "return to dock", "returns to its dock", "returns to the dock",
		"low power mode", "power saving", "power saving mode",
		"me through the day", "it through the day", "through a full day", "through the whole day",
		"through a whole day", "through a work day", "through the work day", "through a workday",
		"through the workday", "through my workday", "me through a day",
		"hours of use", "hours of browsing", "hours of music", "hours of video",
		"hours of playback", "hours of streaming", "hours of gaming", "hours of screen",
		"hours of listening", "hours of talk",
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
		"served by",
		// Synonym set: more of the people who serve (travel, hotels, shops,
		// garages), WordNet's attendant, steward, host, porter, teller ...
		"attendant", "flight attendant", "cabin crew", "steward", "stewardess",
		"=host", "=hosts", "our host", "housekeeping", "housekeeper", "valet", "porter",
		"bellhop", "bellboy", "doorman", "sommelier", "maitre d", "tour guide", "teller",
		"pharmacist", "mechanic", "dealership", "landlord", "supervisor", "staffer",
		// ... how they treat people, more of it ...
		"friendly", "unfriendly", "welcomed us", "welcomed me", "greeted us", "greeted me",
		"greeted by", "smiled", "with a smile", "patient with", "accommodating",
		"above and beyond", "out of their way", "out of her way", "out of his way",
		"dismissive", "condescending", "rolled her eyes", "rolled his eyes",
		"rolled their eyes", "eye roll", "arrogant", "snooty", "snotty", "so kind",
		"very kind", "super kind", "really kind",
		// ... and reaching a person at all (or a bot instead of one).
		"a human", "real person", "actual person", "live person", "real human",
		"actual human", "chatbot", "bot", "spoke to", "spoke with", "speak to",
		"speak with", "talk to someone", "talked to someone", "talk to a", "talked to a",
		"i =called", "we =called", "=called them", "=called the", "=called their",
		"=phoned", "on the phone with", "heard back", "never heard back", "ghosted",
		"runaround", "run around", "opened a ticket", "case number", "canned reply",
		"canned response", "automated reply", "automated response", "at reception",
		"at the reception", "reception desk", "reception staff", "call reception",
		"rang reception", "asked reception", "told reception", "from reception",
		"reception said", "reception told", "upsell", "upsold", "upselling",
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
		// Synonym set: costing nothing (see the empty theme for "sugar
		// free" and the like), paying for more, billing, and what people say
		// of a price that is too high.
		"is free", "was free", "are free", "its free", "free version", "free tier", "free trial",
		"free plan", "free to play", "paywall", "in app purchase", "microtransaction",
		"upcharge", "billed", "invoice", "service charge", "service fee",
		"cover charge", "arm and a leg", "robbery", "highway robbery", "daylight robbery",
		"save money", "saved money", "saves money", "saving money", "budget friendly",
		"wallet friendly", "pricier", "priciest", "dollar", "penny", "euro", "rupee",
		"coupon", "voucher", "promo", "promo code", "full price", "overpay", "overpaid",
		"underpriced", "cost effective", "% off", "percent off", "charge you", "charges you", "charge people",
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
		// Free of something, not costing nothing; and given free, a
		// gesture rather than a price.
		"free of charge", "feel free", "free time", "free up", "free from", "free of", "hands free", "handsfree",
		"sugar free", "gluten free", "dairy free", "fat free", "caffeine free", "alcohol free",
		"nut free", "meat free", "hassle free", "stress free", "trouble free", "worry free",
		"pain free", "fuss free", "lag free", "glitch free", "bug free", "tangle free",
		"smoke free", "cruelty free", "scratch free", "bpa free", "tool free", "wire free",
		"cord free", "clutter free", "ad free", "toll free", "free range", "break free",
		"set free",
		// Friendly to someone, not to the customer.
		"kid friendly", "family friendly", "pet friendly", "dog friendly", "eco friendly",
		"environmentally friendly", "beginner friendly", "travel friendly", "skin friendly",
		"vegan friendly", "vegetarian friendly",
		// A service that is a utility or a network, not people serving; and
		// a car or a device being serviced.
		"cell service", "cellular service", "mobile service", "internet service", "wifi service",
		"streaming service", "shuttle service", "bus service", "train service", "rail service",
		"ferry service", "taxi service", "subscription service", "music service", "video service",
		"cloud service", "email service", "data service", "service area", "service outage",
		"service provider", "=serviced", "=servicing", "=serviceable",
		// A cell of a phone network, not of a battery.
		"cell phone", "cell signal", "cell coverage", "cell reception", "cell tower",
		"cell network", "cell plan", "cell data",
		// Support that holds a body up.
		"lumbar support", "arch support", "back support", "neck support", "ankle support",
		"knee support", "wrist support", "head support",
		// Juice to drink.
		"orange juice", "apple juice", "grape juice", "tomato juice", "cranberry juice",
		"pineapple juice", "lemon juice", "lime juice", "carrot juice", "mango juice",
		"fresh juice", "green juice",
	},
}
