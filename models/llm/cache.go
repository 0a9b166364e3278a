package llm

import (
	"strings"

	lru "github.com/hashicorp/golang-lru/v2"
)

// cache is a bounded LRU of answers keyed by normalised review text, on
// github.com/hashicorp/golang-lru/v2 (safe for concurrent use). A nil
// *cache caches nothing.
type cache struct {
	lru *lru.Cache[string, []string]
}

func newCache(max int) *cache {
	if max <= 0 {
		return nil
	}
	c, err := lru.New[string, []string](max)
	if err != nil {
		panic("llm: cache: " + err.Error()) // only for a size <= 0, excluded above
	}
	return &cache{lru: c}
}

// get returns a copy of the themes cached for key.
func (c *cache) get(key string) ([]string, bool) {
	if c == nil {
		return nil, false
	}
	themes, ok := c.lru.Get(key)
	if !ok {
		return nil, false
	}
	return append([]string{}, themes...), true
}

func (c *cache) put(key string, themes []string) {
	if c == nil {
		return
	}
	c.lru.Add(key, append([]string{}, themes...))
}

func (c *cache) len() int {
	if c == nil {
		return 0
	}
	return c.lru.Len()
}

// cacheKey normalises a review text as the cache sees it: case and runs of
// white space do not change a review's themes.
func cacheKey(text string) string {
	return strings.Join(strings.Fields(strings.ToLower(text)), " ")
}
