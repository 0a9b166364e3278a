package themes

import (
	"context"
	"strings"
	"testing"

	"github.com/apache/beam/sdks/v2/go/pkg/beam"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/testing/passert"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/testing/ptest"
	"github.com/beamlens/beamlens/models/events"
	"github.com/beamlens/beamlens/models/llm"
)

// kindEcho is an extractor that answers each review with the
// comma-separated themes its text lists, phrased as a model might.
const kindEcho = "test-echo"

func init() {
	RegisterExtractor(kindEcho, func() (llm.Extractor, error) { return echoExtractor{}, nil })
	beam.RegisterFunction(describeThemes)
}

type echoExtractor struct{}

func (echoExtractor) Extract(_ context.Context, items []llm.Item) ([]llm.Result, error) {
	out := make([]llm.Result, len(items))
	for i, it := range items {
		out[i] = llm.Result{ID: it.ID, Themes: strings.Split(it.Text, ",")}
	}
	return out, nil
}

func describeThemes(r events.ReviewWithThemes) string {
	return r.Review.ReviewID + ": " + strings.Join(r.Themes, ", ")
}

func TestExtractNormalisesThemes(t *testing.T) {
	reviews := []events.Review{
		{ReviewID: "r1", EventTimeMs: 1000, Text: "Shipping, Smell"},
		{ReviewID: "r2", EventTimeMs: 2000, Text: " Couriers,costs ,Price."},
		{ReviewID: "r3", EventTimeMs: 3000, Text: "Colours"},
		{ReviewID: "r4", EventTimeMs: 4000, Text: "Batteries,size"},
	}
	p, s := beam.NewPipelineWithRoot()
	in := beam.CreateList(s, reviews)

	closed, closedDead := Extract(s.Scope("taxonomy"), in, ExtractOptions{Kind: kindEcho,
		Normalise: llm.NormaliserOptions{Taxonomy: []string{"delivery", "price"}}})
	passert.Equals(s, beam.ParDo(s, describeThemes, closed),
		"r1: delivery", "r2: delivery, price", "r3: ", "r4: ")
	passert.Empty(s, closedDead)

	open, openDead := Extract(s.Scope("open"), in, ExtractOptions{Kind: kindEcho,
		Normalise: llm.NormaliserOptions{Synonyms: llm.Synonyms{"smell": {"odour"}, "colour": {"color"}}}})
	passert.Equals(s, beam.ParDo(s, describeThemes, open),
		"r1: delivery, smell", "r2: delivery, price", "r3: colour", "r4: battery life, size/fit")
	passert.Empty(s, openDead)
	ptest.RunAndValidate(t, p)
}

func TestExtractRejectsBadNormaliseOptions(t *testing.T) {
	defer func() {
		if r := recover(); r == nil || !strings.Contains(r.(string), "themes.Extract: llm.NewNormaliser: synonyms fold in a loop") {
			t.Errorf("panic %v", r)
		}
	}()
	_, s := beam.NewPipelineWithRoot()
	Extract(s, beam.CreateList(s, []events.Review{{ReviewID: "r"}}), ExtractOptions{
		Normalise: llm.NormaliserOptions{Synonyms: llm.Synonyms{"a": {"b"}, "b": {"a"}}}})
}
