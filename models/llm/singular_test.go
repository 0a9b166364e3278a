package llm

import "testing"

func TestSingularPhrase(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"batteries", "battery"},
		{"battery lives", "battery life"},
		{"delivery times", "delivery time"},
		{"boxes", "box"},
		{"watches", "watch"},
		{"classes", "class"},
		{"sizes", "size"},
		{"shoes", "shoe"},
		{"movies", "movie"},
		{"ties", "tie"},
		{"headaches", "headache"},
		{"knives", "knife"},
		{"lenses", "lens"},
		{"sizes/fits", "sizes/fit"},
		// Left alone: singular already, or plural only.
		{"glass", "glass"},
		{"status", "status"},
		{"chassis", "chassis"},
		{"electronics", "electronics"},
		{"glasses", "glasses"},
		{"jeans", "jeans"},
		{"news", "news"},
		{"series", "series"},
		{"returns", "returns"},
		{"ease of use", "ease of use"},
		{"customer service", "customer service"},
		{"size/fit", "size/fit"},
		{"gas", "gas"},
		{"", ""},
	} {
		if got := singularPhrase(c.in); got != c.want {
			t.Errorf("singularPhrase(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}
