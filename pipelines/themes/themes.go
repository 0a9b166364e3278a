package themes

import (
	"fmt"
	"time"

	"github.com/apache/beam/sdks/v2/go/pkg/beam"
	"github.com/beamlens/beamlens/models/events"
	"github.com/beamlens/beamlens/transforms/deadletter"
	"github.com/beamlens/beamlens/transforms/decode"
	"github.com/beamlens/beamlens/transforms/endpoint"
	"github.com/beamlens/beamlens/transforms/jsonl"
	"github.com/beamlens/beamlens/transforms/themes"
)

// Stream names, which are also the output file names (without .jsonl).
const (
	ReviewsStream     = "reviews_with_themes"
	CountsStream      = "theme_counts"
	AlertsStream      = "theme_alerts"
	DeadLettersStream = "deadletters"
)

// Config is everything the themes pipeline needs.
type Config struct {
	Input   endpoint.URI
	Output  endpoint.URI
	Decode  decode.Options
	Extract themes.ExtractOptions
	// Window shapes the theme counts (fixed, or sliding with a Period).
	Window themes.CountOptions
	// TopK keeps the K most mentioned themes of each window in the counts
	// stream; 0 keeps all (each still ranked). Bounded inputs only: a
	// stream's counts leave theme by theme, unranked (Build panics on TopK
	// with a streaming input).
	TopK int
	// AllowedLateness is, on a streaming input, how long after a window's
	// end (in the theme's own event time) mentions still refine its count in
	// late panes; later ones are dead letters (themes.CountStream).
	AllowedLateness time.Duration
	Trend           themes.TrendOptions
}

// Result holds the pipeline's collections.
type Result struct {
	// Reviews is PCollection<events.ReviewWithThemes>.
	Reviews beam.PCollection
	// Counts is PCollection<events.ThemeCount>, ranked within each window.
	Counts beam.PCollection
	// Alerts is PCollection<events.ThemeAlert>.
	Alerts beam.PCollection
	// DeadLetters is PCollection<events.DeadLetter>.
	DeadLetters beam.PCollection
}

// Build adds the themes pipeline to s.
func Build(s beam.Scope, cfg Config) Result {
	s = s.Scope("themes")
	raws := endpoint.Read(s, cfg.Input)
	reviews, decodeDead := decode.Reviews(s, raws, cfg.Decode)
	withThemes, llmDead := themes.Extract(s, reviews, cfg.Extract)
	// Alerts compare fixed windows of the count size, also when the counts
	// slide: a sliding window overlaps its own history.
	size := cfg.Window.Size
	if size == 0 {
		size = themes.DefaultWindow
	}
	var ranked, alertCounts beam.PCollection
	dead := deadletter.Flatten(s, decodeDead, llmDead)
	if cfg.Input.Bounded() {
		counts := themes.Count(s, withThemes, cfg.Window)
		ranked = themes.Top(s, counts, cfg.TopK)
		alertCounts = counts
		if cfg.Window.Period > 0 {
			alertCounts = themes.Count(s, withThemes, themes.CountOptions{Size: size})
		}
	} else {
		// A stream's windows are judged by each theme's own progress and
		// late mentions are kept or dead-lettered (themes.CountStream); a
		// ranking would need every theme of a window at once.
		if cfg.TopK > 0 {
			panic("themes.Build: TopK needs a bounded input")
		}
		counts, countDead := themes.CountStream(s, withThemes, themes.StreamOptions{CountOptions: cfg.Window, AllowedLateness: cfg.AllowedLateness})
		ranked, alertCounts = counts, counts
		if cfg.Window.Period > 0 {
			// The fixed windows of the alerts are the sliding windows that
			// start at a multiple of the size (the period divides it).
			if size%cfg.Window.Period != 0 {
				panic(fmt.Sprintf("themes.Build: on a stream the window period %s must divide its size %s", cfg.Window.Period, size))
			}
			alertCounts = themes.Aligned(s, counts, size)
		}
		dead = deadletter.Flatten(s, dead, countDead)
	}
	alerts := themes.Trending(s, alertCounts, size, cfg.Trend)

	endpoint.Write(s, cfg.Output, ReviewsStream, jsonl.Format[events.ReviewWithThemes](s, withThemes))
	endpoint.Write(s, cfg.Output, CountsStream, jsonl.Format[events.ThemeCount](s, ranked))
	endpoint.Write(s, cfg.Output, AlertsStream, jsonl.Format[events.ThemeAlert](s, alerts))
	endpoint.Write(s, cfg.Output, DeadLettersStream, jsonl.Format[events.DeadLetter](s, dead))
	return Result{Reviews: withThemes, Counts: ranked, Alerts: alerts, DeadLetters: dead}
}
