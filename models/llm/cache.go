package llm

import (
	"container/list"
	"strings"
	"sync"
)

// cache is a bounded LRU of answers keyed by normalised review text. It is
// hand-written on container/list (no cache library is among the project's
// approved dependencies, and an LRU is forty lines). Safe for concurrent use;
// a nil *cache caches nothing.
type cache struct {
	mu    sync.Mutex
	max   int
	order *list.List // front: most recently used
	items map[string]*list.Element
}

type cacheEntry struct {
	key    string
	themes []string
}

func newCache(max int) *cache {
	if max <= 0 {
		return nil
	}
	return &cache{max: max, order: list.New(), items: make(map[string]*list.Element, min(max, 1024))}
}

// get returns a copy of the themes cached for key.
func (c *cache) get(key string) ([]string, bool) {
	if c == nil {
		return nil, false
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	el, ok := c.items[key]
	if !ok {
		return nil, false
	}
	c.order.MoveToFront(el)
	return append([]string{}, el.Value.(*cacheEntry).themes...), true
}

func (c *cache) put(key string, themes []string) {
	if c == nil {
		return
	}
	themes = append([]string{}, themes...)
	c.mu.Lock()
	defer c.mu.Unlock()
	if el, ok := c.items[key]; ok {
		el.Value.(*cacheEntry).themes = themes
		c.order.MoveToFront(el)
		return
	}
	c.items[key] = c.order.PushFront(&cacheEntry{key: key, themes: themes})
	for c.order.Len() > c.max {
		last := c.order.Back()
		c.order.Remove(last)
		delete(c.items, last.Value.(*cacheEntry).key)
	}
}

func (c *cache) len() int {
	if c == nil {
		return 0
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.order.Len()
}

// cacheKey normalises a review text as the cache sees it: case and runs of
// white space do not change a review's themes.
func cacheKey(text string) string {
	return strings.Join(strings.Fields(strings.ToLower(text)), " ")
}
