package llm_test

import (
	"context"
	"fmt"

	"github.com/beamlens/beamlens/models/llm"
	"github.com/beamlens/beamlens/models/llm/llmtest"
)

func ExampleOffline() {
	o := llm.NewOffline()
	fmt.Println(o.Themes("Arrived a day early, but it feels cheap and flimsy."))
	// Output: [delivery quality]
}

func ExampleOpenAIExtractor() {
	srv := llmtest.NewServer(llmtest.Config{}) // any OpenAI-compatible server
	defer srv.Close()
	e, err := llm.NewOpenAIExtractor(llm.Options{
		BaseURL:  srv.URL(),
		Model:    "qwen2.5-7b-instruct",
		NoAPIKey: true, // a local server; otherwise OPENAI_API_KEY or APIKeyFile
	})
	if err != nil {
		panic(err)
	}
	defer e.Close()
	res, err := e.Extract(context.Background(), []llm.Item{
		{ID: "r1", Text: "The battery dies after two hours."},
		{ID: "r2", Text: "Great value for the price. Fits perfectly."},
		{ID: "r3", Text: "   "},
	})
	if err != nil {
		panic(err) // the call failed as a whole: retry later
	}
	for _, r := range res {
		fmt.Println(r.ID, r.Themes, r.Err)
	}
	// Output:
	// r1 [battery life] <nil>
	// r2 [price size/fit] <nil>
	// r3 [] llm: review text is blank
}
