package themes

import (
	"cmp"
	"fmt"
	"sort"
	"strings"
	"sync"

	"github.com/beamlens/beamlens/models/llm"
)

// Extractor kinds for ExtractOptions.Kind.
const (
	// KindOffline is the lexicon model that ships with beamlens: no
	// network, no key, deterministic.
	KindOffline = "offline"
	// KindOpenAI is any OpenAI-compatible chat API, configured by
	// ExtractOptions.LLM.
	KindOpenAI = "openai"
)

// ExtractOptions configures Extract. The zero value is the offline model.
// It holds no secret - the API key is read on the worker from the
// environment variable or file that LLM names - because DoFn fields are
// serialised into the job graph.
type ExtractOptions struct {
	// Kind selects the extractor: KindOffline, KindOpenAI or a name given
	// to RegisterExtractor. Default KindOffline.
	Kind string
	// LLM configures KindOpenAI (base URL, model, limits, where the key
	// is). Its batch size and concurrency also shape Extract's batches.
	LLM llm.Options
	// BatchSize is how many reviews travel in one Extract call. Default
	// LLM.BatchSize, else 20.
	BatchSize int
	// Concurrency is the most batches in flight at once in a worker
	// process, all bundles together (they share one sender). Default
	// LLM.MaxConcurrency, else 4.
	Concurrency int
	// Normalise folds the extractor's answers onto consistent themes after
	// every call: plurals, llm.DefaultSynonyms plus Normalise.Synonyms, and
	// in taxonomy mode a closed list (a review whose answers all miss it is
	// still emitted, with no themes). It is plain data, so files are read
	// where the pipeline is built, not on the workers. Default: the default
	// synonyms, open set.
	Normalise llm.NormaliserOptions
}

func (o ExtractOptions) withDefaults() ExtractOptions {
	o.Kind = cmp.Or(o.Kind, KindOffline)
	o.BatchSize = cmp.Or(o.BatchSize, o.LLM.BatchSize, 20)
	o.Concurrency = cmp.Or(o.Concurrency, o.LLM.MaxConcurrency, 4)
	return o
}

func (o ExtractOptions) validate() {
	if o.BatchSize < 1 || o.Concurrency < 1 {
		panic(fmt.Sprintf("themes.Extract: batch size %d and concurrency %d must be positive", o.BatchSize, o.Concurrency))
	}
	if _, err := llm.NewNormaliser(o.Normalise); err != nil {
		panic(fmt.Sprintf("themes.Extract: %v", err))
	}
	switch o.Kind {
	case KindOffline:
	case KindOpenAI:
		if err := o.LLM.Validate(); err != nil {
			panic(fmt.Sprintf("themes.Extract: %v", err))
		}
	default:
		registryMu.Lock()
		_, ok := registry[o.Kind]
		registryMu.Unlock()
		if !ok {
			panic(fmt.Sprintf("themes.Extract: unknown extractor kind %q (known: %s)", o.Kind, strings.Join(kinds(), ", ")))
		}
	}
}

var (
	registryMu sync.Mutex
	registry   = map[string]func() (llm.Extractor, error){}
	// shared holds one extractor per configuration per process, so that all
	// bundles and DoFn instances share one rate limiter, one concurrency
	// bound and one cache.
	shared = map[string]llm.Extractor{}
)

// RegisterExtractor makes an extractor available under kind, for tests and
// for extractors beamlens does not ship. Call it from an init function so
// that workers, which run the same binary, know it too.
func RegisterExtractor(kind string, build func() (llm.Extractor, error)) {
	registryMu.Lock()
	defer registryMu.Unlock()
	registry[kind] = build
}

func kinds() []string {
	names := []string{KindOffline, KindOpenAI}
	for k := range registry {
		names = append(names, k)
	}
	sort.Strings(names[2:])
	return names
}

// extractor returns this process's extractor for o, building it once.
func (o ExtractOptions) extractor() (llm.Extractor, error) {
	registryMu.Lock()
	defer registryMu.Unlock()
	key := fmt.Sprintf("%s|%+v", o.Kind, o.LLM)
	if e, ok := shared[key]; ok {
		return e, nil
	}
	var e llm.Extractor
	var err error
	switch o.Kind {
	case KindOffline:
		e = llm.NewOffline()
	case KindOpenAI:
		e, err = llm.NewOpenAIExtractor(o.LLM)
	default:
		build, ok := registry[o.Kind]
		if !ok {
			return nil, fmt.Errorf("themes.Extract: unknown extractor kind %q", o.Kind)
		}
		e, err = build()
	}
	if err != nil {
		return nil, err
	}
	shared[key] = e
	return e, nil
}
