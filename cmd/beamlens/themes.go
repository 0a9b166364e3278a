package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/apache/beam/sdks/v2/go/pkg/beam"
	"github.com/beamlens/beamlens/models/llm"
	themespipe "github.com/beamlens/beamlens/pipelines/themes"
	"github.com/beamlens/beamlens/runners"
	"github.com/beamlens/beamlens/transforms/themes"
	"github.com/beamlens/beamlens/transforms/windowstats"
)

// themeFlags are the themes pipeline's command-line options.
type themeFlags struct {
	ioFlags
	records       recordFlags
	model         string
	llmOpts       llm.Options
	window        string
	topK          int
	lateness      time.Duration
	noKeyNeeded   bool
	giveUpAfter   time.Duration
	giveUpSet     bool // --llm-give-up-after was given
	apiVersionSet bool // --llm-api-version was given
	apiSet        bool // --llm-api was given
	synonyms      string
	taxonomy      string
}

func (f *themeFlags) bind(fs *flag.FlagSet) {
	f.ioFlags.bind(fs, "where reviews come from", "reviews_with_themes.jsonl, theme_counts.jsonl, theme_alerts.jsonl, deadletters.jsonl")
	f.bindStreamTopics(fs, map[string]string{themespipe.CountsStream: "product_review_theme_counts",
		themespipe.AlertsStream: "product_review_theme_alerts"})
	fs.StringVar(&f.model, "llm", "auto", "theme extractor: openai (any OpenAI-compatible API), offline (the built-in lexicon model), or auto: openai when an API key is found, else offline")
	fs.StringVar(&f.llmOpts.Provider, "llm-api", llm.ProviderOpenAI, "the API's flavour: openai (OpenAI and every OpenAI-compatible server) or azure (a classic Azure OpenAI deployment: --llm-base-url=https://RESOURCE.openai.azure.com, --llm-model=DEPLOYMENT, key in the api-key header; a base URL holding /openai/deployments/ selects azure by itself)")
	fs.StringVar(&f.llmOpts.AzureAPIVersion, "llm-api-version", "2024-10-21", "with --llm-api=azure: the api-version query parameter")
	fs.StringVar(&f.llmOpts.BaseURL, "llm-base-url", "", "OpenAI-compatible API base URL, e.g. http://localhost:11434/v1 for Ollama (default https://api.openai.com/v1); with --llm-api=azure the resource endpoint, or a whole deployment URL (.../openai/deployments/NAME/...?api-version=V), from which the deployment and version are taken")
	fs.StringVar(&f.llmOpts.Model, "llm-model", "", "model name (default gpt-4o-mini); with --llm-api=azure the deployment name")
	fs.StringVar(&f.llmOpts.SystemRole, "llm-system-role", llm.RoleSystem, "the role the instructions travel in: system, developer (OpenAI o1 and later) or user (folded into the user message, for models that reject a system message: o1-mini, some local templates); a 400 naming the system role switches to user by itself")
	fs.DurationVar(&f.giveUpAfter, "llm-give-up-after", 3*time.Minute, "when the LLM fails every request (5xx, timeouts, refused connections) for this long, a bounded job dead-letters the reviews it could not enrich, writes the rest and exits 1; streaming inputs wait for the server unless this is given (0: wait for ever)")
	fs.IntVar(&f.llmOpts.RequestBurst, "llm-burst", 1, "requests that may leave back to back after a quiet moment (1: every request at least 60s/--llm-rpm after the one before, as strict per-second budgets want)")
	fs.StringVar(&f.llmOpts.APIKeyFile, "llm-api-key-file", "", "file holding the API key (default: the OPENAI_API_KEY environment variable); never pass the key itself as a flag")
	fs.BoolVar(&f.noKeyNeeded, "llm-no-key", false, "the server needs no API key (local vLLM, Ollama, llama.cpp)")
	fs.IntVar(&f.llmOpts.BatchSize, "llm-batch-size", 20, "reviews per request")
	fs.IntVar(&f.llmOpts.MaxConcurrency, "llm-concurrency", 4, "requests in flight at once")
	fs.IntVar(&f.llmOpts.RequestsPerMinute, "llm-rpm", 500, "client-side limit on requests per minute (negative: none): your account's limit; requests start 2% more than 60s/rpm apart, up to 20% more after 429s. 500 is OpenAI's usage tier 1 for gpt-4o-mini; Azure: 6 per 1000 of the deployment's TPM; local servers: -1")
	fs.IntVar(&f.llmOpts.TokensPerMinute, "llm-tpm", 200000, "client-side limit on estimated tokens per minute (negative: none): your account's limit; 200000 is OpenAI's usage tier 1 for gpt-4o-mini; Azure: the deployment's TPM; local servers: -1")
	fs.StringVar(&f.synonyms, "themes-synonyms", "", "a YAML `FILE` of extra synonyms, theme: [answers that mean it] (e.g. delivery: [shipping, courier]), folded on top of the built-in table (lower case, trimmed, plurals folded)")
	fs.StringVar(&f.taxonomy, "themes-taxonomy", "", "a `FILE` of allowed themes, one per line (# comments); answers are mapped onto them through the synonyms, and an answer that maps to none is dropped (a review may end with no themes)")
	f.records.bindReviews(fs)
	fs.StringVar(&f.window, "window", "10m", "event-time windows of the theme counts: SIZE (fixed) or SIZE/PERIOD (sliding); alerts use fixed windows of SIZE")
	fs.IntVar(&f.topK, "top-k", 0, "bounded input: keep only the K most mentioned themes of each window in theme_counts.jsonl (0: all, each ranked); a stream's counts are not ranked")
	fs.DurationVar(&f.lateness, "allowed-lateness", 5*time.Minute, "streaming input: how far behind its theme's newest mention a review may arrive and still refine its window's count (a late pane, \"late\":true); later ones become dead letters (stage theme_counts)")
}

func (f *themeFlags) config() (themespipe.Config, error) {
	size, period, err := windowstats.ParseWindow(f.window)
	if err != nil {
		return themespipe.Config{}, usagef("--window: %v", err)
	}
	if f.topK < 0 {
		return themespipe.Config{}, usagef("--top-k must not be negative")
	}
	dec, err := f.records.decodeOptions(f.maxFuture)
	if err != nil {
		return themespipe.Config{}, err
	}
	in, out, err := f.endpoints()
	if err != nil {
		return themespipe.Config{}, err
	}
	ext, err := f.extractOptions(in.Bounded())
	if err != nil {
		return themespipe.Config{}, err
	}
	if f.lateness < 0 {
		return themespipe.Config{}, usagef("--allowed-lateness is negative")
	}
	if !in.Bounded() {
		if f.topK > 0 {
			return themespipe.Config{}, usagef("--top-k ranks the windows of a bounded input; a stream's theme counts leave theme by theme as each window closes")
		}
		if period > 0 && size%period != 0 {
			return themespipe.Config{}, usagef("--window: on a stream the period must divide the size (alerts use the sliding windows that start at a multiple of the size)")
		}
	}
	f.routeStreams(in, &out, themespipe.ReviewsStream, themespipe.DeadLettersStream)
	return themespipe.Config{
		Input: in, Output: out,
		Decode:          dec,
		Extract:         ext,
		Window:          themes.CountOptions{Size: size, Period: period},
		TopK:            f.topK,
		AllowedLateness: f.lateness,
	}, nil
}

func (f *themeFlags) extractOptions(bounded bool) (themes.ExtractOptions, error) {
	norm, err := f.normaliseOptions()
	if err != nil {
		return themes.ExtractOptions{}, err
	}
	ext, err := f.extractorOptions(bounded)
	ext.Normalise = norm
	return ext, err
}

func (f *themeFlags) extractorOptions(bounded bool) (themes.ExtractOptions, error) {
	o := f.llmOpts
	o.NoAPIKey = f.noKeyNeeded
	if f.giveUpAfter < 0 {
		return themes.ExtractOptions{}, usagef("--llm-give-up-after must not be negative")
	}
	if bounded || f.giveUpSet {
		o.GiveUpAfter = f.giveUpAfter
	}
	if !f.apiSet && strings.Contains(o.BaseURL, "/openai/deployments/") {
		// A classic Azure deployment URL names its flavour.
		o.Provider = llm.ProviderAzure
	}
	if o.Provider == llm.ProviderAzure {
		if err := azureFromURL(&o, f.apiVersionSet); err != nil {
			return themes.ExtractOptions{}, err
		}
	}
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
	fs.Visit(func(fl *flag.Flag) {
		f.giveUpSet = f.giveUpSet || fl.Name == "llm-give-up-after"
		f.apiVersionSet = f.apiVersionSet || fl.Name == "llm-api-version"
		f.apiSet = f.apiSet || fl.Name == "llm-api"
	})
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
	before := llm.ProcessStats()
	_, callErrors := llm.LastCallError()
	err = runWithMetrics(ctx, f.metricsAddr, func(s beam.Scope) { themespipe.Build(s, cfg) }, f.runner, stderr)
	removeStoppedLeftovers(cfg.Output, err)
	return llmOutcome(err, before, callErrors)
}

// llmOutcome turns what the LLM did to a run into its one line: a job that
// gave up on an unavailable service exits 1 after writing what it could,
// and a job the service refused outright (key, model, parameter) says why
// without the runner's dump.
func llmOutcome(err error, before llm.Stats, callErrors int64) error {
	if err != nil {
		if cerr, n := llm.LastCallError(); n > callErrors && !errors.Is(err, runners.ErrCancelled) {
			return fmt.Errorf("the LLM refused the job: %v", cerr)
		}
		return err
	}
	if st := llm.ProcessStats(); st.GaveUp > before.GaveUp {
		return fmt.Errorf("gave up on the LLM: %d distinct reviews dead-lettered (stage llm), the rest written: %v", st.GaveUp-before.GaveUp, st.LastGaveUp)
	}
	return nil
}

// azureFromURL takes the deployment and api-version out of a whole
// deployment URL given as the base URL, as Azure's portal shows it
// (https://R.openai.azure.com/openai/deployments/D/chat/completions?api-version=V),
// and leaves the resource endpoint, which go-openai's Azure routing wants.
func azureFromURL(o *llm.Options, versionSet bool) error {
	u, err := url.Parse(o.BaseURL)
	if err != nil || o.BaseURL == "" {
		return usagef("--llm-api=azure needs --llm-base-url=https://RESOURCE.openai.azure.com")
	}
	if v := u.Query().Get("api-version"); v != "" {
		if versionSet && v != o.AzureAPIVersion {
			return usagef("--llm-base-url says api-version=%s, --llm-api-version says %s", v, o.AzureAPIVersion)
		}
		o.AzureAPIVersion = v
	}
	u.RawQuery = ""
	path := u.Path
	if i := strings.Index(path, "/openai/deployments/"); i >= 0 {
		dep, _, _ := strings.Cut(path[i+len("/openai/deployments/"):], "/")
		if dep != "" {
			if o.Model != "" && o.Model != dep {
				return usagef("--llm-base-url names deployment %q, --llm-model says %q", dep, o.Model)
			}
			o.Model = dep
		}
		path = path[:i]
	} else {
		path = strings.TrimSuffix(strings.TrimRight(path, "/"), "/openai")
	}
	u.Path = path
	o.BaseURL = u.String()
	if o.Model == "" {
		return usagef("--llm-api=azure needs the deployment: --llm-model=DEPLOYMENT")
	}
	return nil
}
