package llm_test

import (
	"fmt"

	"github.com/beamlens/beamlens/models/llm"
)

func ExampleNormaliser() {
	open, err := llm.NewNormaliser(llm.NormaliserOptions{
		Synonyms: llm.Synonyms{"smell": {"odour", "scent"}}, // on top of DefaultSynonyms
	})
	if err != nil {
		panic(err)
	}
	answers := []string{"Shipping", "Batteries.", "odours", "Colours", "delivery"}
	fmt.Println(open.Themes(answers))

	closed, err := llm.NewNormaliser(llm.NormaliserOptions{Taxonomy: []string{"delivery", "battery life"}})
	if err != nil {
		panic(err)
	}
	fmt.Println(closed.Themes(answers))
	// Output:
	// [delivery battery life smell colour]
	// [delivery battery life]
}
