package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"

	"github.com/apache/beam/sdks/v2/go/pkg/beam"
	"github.com/beamlens/beamlens/models/llm"
	themespipe "github.com/beamlens/beamlens/pipelines/themes"
	"github.com/beamlens/beamlens/transforms/decode"
	"github.com/beamlens/beamlens/transforms/themes"
	"github.com/beamlens/beamlens/transforms/windowstats"
)

// themeFlags are the themes pipeline's command-line options.
type themeFlags struct {
	ioFlags
	model       string
	llmOpts     llm.Options
	window      string
	topK        int
	noKeyNeeded bool
	synonyms    string
	taxonomy    string
}

func (f *themeFlags) bind(fs *flag.FlagSet) {
	f.ioFlags.bind(fs, "where reviews come from", "reviews_with_themes.jsonl, theme_counts.jsonl, theme_alerts.jsonl, deadletters.jsonl")
	fs.StringVar(&f.model, "llm", "auto", "theme extractor: openai (any OpenAI-compatible API), offline (the built-in lexicon model), or auto: openai when an API key is found, else offline")
	fs.StringVar(&f.llmOpts.BaseURL, "llm-base-url", "", "OpenAI-compatible API base URL, e.g. http://localhost:11434/v1 for Ollama (default https://api.openai.com/v1)")
	fs.StringVar(&f.llmOpts.Model, "llm-model", "", "model name (default gpt-4o-mini)")
	fs.StringVar(&f.llmOpts.APIKeyFile, "llm-api-key-file", "", "file holding the API key (default: the OPENAI_API_KEY environment variable); never pass the key itself as a flag")
	fs.BoolVar(&f.noKeyNeeded, "llm-no-key", false, "the server needs no API key (local vLLM, Ollama, llama.cpp)")
	fs.IntVar(&f.llmOpts.BatchSize, "llm-batch-size", 20, "reviews per request")
	fs.IntVar(&f.llmOpts.MaxConcurrency, "llm-concurrency", 4, "requests in flight at once")
	fs.IntVar(&f.llmOpts.RequestsPerMinute, "llm-rpm", 500, "client-side limit on requests per minute (negative: none)")
	fs.IntVar(&f.llmOpts.TokensPerMinute, "llm-tpm", 200000, "client-side limit on tokens per minute (negative: none)")
	fs.StringVar(&f.synonyms, "themes-synonyms", "", "a YAML `FILE` of extra synonyms, theme: [answers that mean it] (e.g. delivery: [shipping, courier]), folded on top of the built-in table (lower case, trimmed, plurals folded)")
	fs.StringVar(&f.taxonomy, "themes-taxonomy", "", "a `FILE` of allowed themes, one per line (# comments); answers are mapped onto them through the synonyms, and an answer that maps to none is dropped (a review may end with no themes)")
	fs.StringVar(&f.window, "window", "10m", "event-time windows of the theme counts: SIZE (fixed) or SIZE/PERIOD (sliding); alerts use fixed windows of SIZE")
	fs.IntVar(&f.topK, "top-k", 0, "keep only the K most mentioned themes of each window in theme_counts.jsonl (0: all, each ranked)")
}

func (f *themeFlags) config() (themespipe.Config, error) {
	size, period, err := windowstats.ParseWindow(f.window)
	if err != nil {
		return themespipe.Config{}, usagef("--window: %v", err)
	}
	if f.topK < 0 {
		return themespipe.Config{}, usagef("--top-k must not be negative")
	}
	ext, err := f.extractOptions()
	if err != nil {
		return themespipe.Config{}, err
	}
	in, out, err := f.endpoints()
	if err != nil {
		return themespipe.Config{}, err
	}
	f.routeStreams(in, &out, themespipe.ReviewsStream, themespipe.DeadLettersStream, map[string]string{
		themespipe.CountsStream: "product_review_theme_counts",
		themespipe.AlertsStream: "product_review_theme_alerts",
	})
	return themespipe.Config{
		Input: in, Output: out,
		Decode:  decode.Options{MaxFuture: f.maxFuture},
		Extract: ext,
		Window:  themes.CountOptions{Size: size, Period: period},
		TopK:    f.topK,
	}, nil
}

func (f *themeFlags) extractOptions() (themes.ExtractOptions, error) {
	norm, err := f.normaliseOptions()
	if err != nil {
		return themes.ExtractOptions{}, err
	}
	ext, err := f.extractorOptions()
	ext.Normalise = norm
	return ext, err
}

func (f *themeFlags) extractorOptions() (themes.ExtractOptions, error) {
	o := f.llmOpts
	o.NoAPIKey = f.noKeyNeeded
	switch f.model {
	case "offline":
		return themes.ExtractOptions{Kind: themes.KindOffline}, nil
	case "auto":
		if !o.HasAPIKey() {
			return themes.ExtractOptions{Kind: themes.KindOffline}, nil
		}
	case "openai":
	default:
		return themes.ExtractOptions{}, usagef("--llm: want openai, offline or auto, got %q", f.model)
	}
	if err := o.Validate(); err != nil {
		return themes.ExtractOptions{}, usagef("%v", err)
	}
	if !o.HasAPIKey() {
		return themes.ExtractOptions{}, usagef("--llm=openai needs an API key: set OPENAI_API_KEY, or --llm-api-key-file, or --llm-no-key for a local server")
	}
	return themes.ExtractOptions{Kind: themes.KindOpenAI, LLM: o}, nil
}

// normaliseOptions reads the synonyms and taxonomy files here, where the
// pipeline is built: the workers get their contents in the job graph.
func (f *themeFlags) normaliseOptions() (llm.NormaliserOptions, error) {
	var o llm.NormaliserOptions
	if f.synonyms != "" {
		data, err := os.ReadFile(f.synonyms)
		if err == nil {
			o.Synonyms, err = llm.ParseSynonyms(data)
		}
		if err != nil {
			return o, usagef("--themes-synonyms: %v", err)
		}
	}
	if f.taxonomy != "" {
		data, err := os.ReadFile(f.taxonomy)
		if err == nil {
			o.Taxonomy, err = llm.ParseTaxonomy(data)
		}
		if err != nil {
			return o, usagef("--themes-taxonomy: %v", err)
		}
	}
	if _, err := llm.NewNormaliser(o); err != nil {
		return o, usagef("--themes-synonyms/--themes-taxonomy: %v", err)
	}
	return o, nil
}

func runThemes(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var f themeFlags
	fs := newFlagSet("themes", "--input=URI --output=URI [flags]", stderr)
	f.bind(fs)
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	cfg, err := f.config()
	if err != nil {
		return err
	}
	fmt.Fprintf(stderr, "beamlens: themes from the %s extractor\n", cfg.Extract.Kind)
	if err := preflightLLM(ctx, cfg.Extract); err != nil {
		return err
	}
	if err := preflight(ctx, cfg.Input, cfg.Output, f.runner, f.overwrite); err != nil {
		return err
	}
	f.runner.JobLabel = "themes"
	return runWithMetrics(ctx, f.metricsAddr, func(s beam.Scope) { themespipe.Build(s, cfg) }, f.runner, stderr)
}
