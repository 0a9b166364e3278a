package llm_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/beamlens/beamlens/models/llm"
)

func mustNormaliser(t *testing.T, o llm.NormaliserOptions) *llm.Normaliser {
	t.Helper()
	n, err := llm.NewNormaliser(o)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func TestNormaliserDefaults(t *testing.T) {
	n := mustNormaliser(t, llm.NormaliserOptions{})
	for _, c := range []struct {
		in, want string
	}{
		{"  Battery Life. ", "battery life"},
		{"BATTERIES", "battery life"},
		{"battery", "battery life"},
		{"Shipping", "delivery"},
		{"shipping times", "delivery"},
		{"Couriers", "delivery"},
		{"support", "customer service"},
		{"Customer   Support", "customer service"},
		{"cost", "price"},
		{"value for money", "price"},
		{"fit", "size/fit"},
		{"Sizing", "size/fit"},
		{"sizes", "size/fit"},
		{"boxes", "packaging"},
		{"return", "returns"},
		{"refunds", "returns"},
		{"\"durability\"", "quality"},
		// Not in the table: cleaned, plural folded, kept.
		{"Colours!", "colour"},
		{"Smell", "smell"},
		{"cable lengths", "cable length"},
	} {
		got, ok := n.Theme(c.in)
		if !ok || got != c.want {
			t.Errorf("Theme(%q) = %q, %v; want %q", c.in, got, ok, c.want)
		}
	}
	for _, blank := range []string{"", "  ", "...", "\t-\n"} {
		if got, ok := n.Theme(blank); ok {
			t.Errorf("Theme(%q) = %q, want rejected", blank, got)
		}
	}
}

// The themes the offline model (and so the fake server) reports must come
// through the default table unchanged.
func TestNormaliserKeepsOfflineThemes(t *testing.T) {
	n := mustNormaliser(t, llm.NormaliserOptions{})
	for theme := range llm.DefaultLexicon() {
		if theme == "" {
			continue
		}
		if got, ok := n.Theme(theme); !ok || got != theme {
			t.Errorf("Theme(%q) = %q, %v", theme, got, ok)
		}
	}
	for theme := range llm.DefaultSynonyms() {
		if got, ok := n.Theme(theme); !ok || got != theme {
			t.Errorf("a default theme folds elsewhere: Theme(%q) = %q, %v", theme, got, ok)
		}
	}
}

func TestNormaliserThemes(t *testing.T) {
	n := mustNormaliser(t, llm.NormaliserOptions{})
	got := n.Themes([]string{"Shipping", "delivery", "", "Price", "costs", "fit"})
	if want := []string{"delivery", "price", "size/fit"}; !slices.Equal(got, want) {
		t.Errorf("Themes = %q, want %q", got, want)
	}
	if got := n.Themes(nil); got == nil || len(got) != 0 {
		t.Errorf("Themes(nil) = %#v, want an empty slice", got)
	}
}

func TestNormaliserUserSynonyms(t *testing.T) {
	n := mustNormaliser(t, llm.NormaliserOptions{Synonyms: llm.Synonyms{
		"value for money": {"price"},   // chains: cost -> price -> value for money
		"shipping":        {"postage"}, // a default answer becomes a theme
		"Smell":           {"odour", "scent"},
	}})
	for _, c := range []struct{ in, want string }{
		{"price", "value for money"},
		{"cost", "value for money"},
		{"value", "value for money"},
		{"shipping", "shipping"},
		{"postage", "shipping"},
		{"courier", "delivery"},
		{"odours", "smell"},
		{"Scent", "smell"},
		{"battery", "battery life"},
	} {
		if got, _ := n.Theme(c.in); got != c.want {
			t.Errorf("Theme(%q) = %q, want %q", c.in, got, c.want)
		}
	}
	bare := mustNormaliser(t, llm.NormaliserOptions{NoDefaultSynonyms: true})
	if got, _ := bare.Theme("Shipping"); got != "shipping" {
		t.Errorf("without defaults: Theme(Shipping) = %q", got)
	}
}

func TestNormaliserTaxonomy(t *testing.T) {
	n := mustNormaliser(t, llm.NormaliserOptions{
		Taxonomy: []string{"Delivery", "Price", "shipping speed", "smell"},
	})
	for _, c := range []struct {
		in, want string
		ok       bool
	}{
		{"shipping", "delivery", true},
		{"deliveries", "delivery", true},
		{"couriers", "delivery", true},
		{"Shipping Speed", "shipping speed", true}, // listed: keeps its own name
		{"cost", "price", true},
		{"smells", "smell", true},
		{"battery life", "", false},
		{"colour", "", false},
	} {
		got, ok := n.Theme(c.in)
		if got != c.want || ok != c.ok {
			t.Errorf("Theme(%q) = %q, %v; want %q, %v", c.in, got, ok, c.want, c.ok)
		}
	}
	if got := n.Themes([]string{"battery", "colour"}); got == nil || len(got) != 0 {
		t.Errorf("all off the taxonomy: %#v, want an empty list", got)
	}
}

func TestNormaliserErrors(t *testing.T) {
	for _, c := range []struct {
		name string
		o    llm.NormaliserOptions
		want string
	}{
		{"answer under two themes", llm.NormaliserOptions{Synonyms: llm.Synonyms{"a": {"x"}, "b": {"X"}}}, `"X" is listed under "a" and "b"`},
		{"loop", llm.NormaliserOptions{Synonyms: llm.Synonyms{"a": {"b"}, "b": {"a"}}}, "loop"},
		{"empty theme", llm.NormaliserOptions{Synonyms: llm.Synonyms{" . ": {"x"}}}, "empty theme"},
		{"empty answer", llm.NormaliserOptions{Synonyms: llm.Synonyms{"a": {""}}}, "empty answer"},
		{"taxonomy repeat", llm.NormaliserOptions{Taxonomy: []string{"battery", "Batteries"}}, "same theme"},
		{"taxonomy blank", llm.NormaliserOptions{Taxonomy: []string{"price", "  "}}, "empty theme"},
	} {
		_, err := llm.NewNormaliser(c.o)
		if err == nil || !strings.Contains(err.Error(), c.want) || !strings.HasPrefix(err.Error(), "llm.NewNormaliser: ") {
			t.Errorf("%s: err = %v, want one containing %q", c.name, err, c.want)
		}
	}
}

func TestParseSynonyms(t *testing.T) {
	got, err := llm.ParseSynonyms([]byte(`# theme: answers
delivery: [shipping, courier]
Customer Service:
  - support
  - help desk
price: cost
smell:
`))
	if err != nil {
		t.Fatal(err)
	}
	want := llm.Synonyms{
		"delivery": {"shipping", "courier"}, "customer service": {"support", "help desk"},
		"price": {"cost"}, "smell": {},
	}
	if len(got) != len(want) {
		t.Fatalf("got %q, want %q", got, want)
	}
	for k, v := range want {
		if !slices.Equal(got[k], v) {
			t.Errorf("%s: got %q, want %q", k, got[k], v)
		}
	}
	if s, err := llm.ParseSynonyms([]byte("# nothing yet\n")); err != nil || len(s) != 0 {
		t.Errorf("comments only: %v, %v", s, err)
	}
	for _, c := range []struct{ in, want string }{
		{"- a\n- b\n", "want a mapping"},
		{"a: [x]\nA: [y]\n", "already listed on line 1"},
		{"a: {x: y}\n", "line 1: want a string or a list"},
		{"a: [x, [y]]\n", "want a string, got a list"},
		{"a: [x, '']\n", "empty answer"},
		{"a: [x\n", "synonyms: yaml"},
	} {
		_, err := llm.ParseSynonyms([]byte(c.in))
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("ParseSynonyms(%q): err = %v, want one containing %q", c.in, err, c.want)
		}
	}
}

func TestParseTaxonomy(t *testing.T) {
	got, err := llm.ParseTaxonomy([]byte("\uFEFF# themes we report\ndelivery\r\n\n  Price  \nsize/fit\n"))
	if want := []string{"delivery", "Price", "size/fit"}; err != nil || !slices.Equal(got, want) {
		t.Errorf("got %q, %v; want %q", got, err, want)
	}
	for _, in := range []string{"", "# only a comment\n\n", "price\n...\n"} {
		if _, err := llm.ParseTaxonomy([]byte(in)); err == nil {
			t.Errorf("ParseTaxonomy(%q): no error", in)
		}
	}
}
