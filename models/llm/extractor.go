package llm

import (
	"context"
	"slices"
	"time"

	"github.com/beamlens/beamlens/models/events"
)

// Extractor finds the themes of reviews. Implementations are safe for
// concurrent use.
//
// Extract returns exactly one Result per item, in input order. A problem with
// one item (blank text, an answer that never followed the wire contract, a
// request the service refused for its content) is that item's Result.Err and
// leaves the other items alone: such items are bad data, for the dead-letter
// output. A non-nil error means the call failed as a whole - the context
// ended, the service stayed unavailable through every retry, or it refused
// our credentials - and the results must not be used; the caller should fail
// and let the runner retry.
type Extractor interface {
	Extract(ctx context.Context, items []Item) ([]Result, error)
}

// Item is one review to extract themes from. ID is the caller's and is only
// copied to the Result: it need not be unique.
type Item struct {
	ID   string
	Text string
}

// Result holds the themes of one Item: lower case, normalised with
// events.NormaliseTheme, without duplicates, in the order found. Themes is
// empty (not nil) when the review has none; Err is set when the item failed.
type Result struct {
	ID     string
	Themes []string
	Err    error
}

// DefaultThemes are the common review themes: the labels the offline model
// reports and the OpenAI extractor's prompt prefers.
var DefaultThemes = []string{
	"battery life", "delivery", "customer service", "price",
	"quality", "size/fit", "packaging", "ease of use",
}

// normaliseThemes normalises, drops empty and duplicate themes, keeping
// the first occurrence's order. It always returns a non-nil slice.
func normaliseThemes(in []string) []string {
	out := make([]string, 0, len(in))
	for _, t := range in {
		t = events.NormaliseTheme(t)
		if t == "" || slices.Contains(out, t) {
			continue
		}
		out = append(out, t)
	}
	return out
}

// Paced is an extractor that spaces its requests in time. NextStart is the
// earliest moment its next request may start (in the past when it may
// start now): a caller that batches reviews itself can cut a partial batch
// just before then rather than at once, so that reviews arriving meanwhile
// still travel in it.
type Paced interface {
	NextStart() time.Time
}
