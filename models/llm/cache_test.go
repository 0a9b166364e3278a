package llm

import (
	"fmt"
	"slices"
	"sync"
	"testing"
)

func TestCacheEvictsLeastRecentlyUsed(t *testing.T) {
	c := newCache(2)
	c.put("a", []string{"price"})
	c.put("b", []string{"quality"})
	c.get("a") // a is now the most recent
	c.put("c", []string{"delivery"})
	if _, ok := c.get("b"); ok {
		t.Error("b survived; it was the least recently used")
	}
	if th, ok := c.get("a"); !ok || !slices.Equal(th, []string{"price"}) {
		t.Errorf("a: %v %v", th, ok)
	}
	c.put("a", []string{"size/fit"})
	if th, _ := c.get("a"); !slices.Equal(th, []string{"size/fit"}) || c.len() != 2 {
		t.Errorf("update: %v, len %d", th, c.len())
	}
	th, _ := c.get("c")
	th[0] = "changed"
	if again, _ := c.get("c"); again[0] != "delivery" {
		t.Error("get returned the cached slice itself")
	}
}

func TestCacheNilAndConcurrent(t *testing.T) {
	var none *cache = newCache(-1)
	none.put("a", nil)
	if _, ok := none.get("a"); ok || none.len() != 0 {
		t.Error("a disabled cache cached")
	}
	c := newCache(100)
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			for i := range 1000 {
				k := fmt.Sprint((g * i) % 300)
				c.put(k, []string{k})
				if th, ok := c.get(k); ok && len(th) != 1 {
					t.Errorf("%s: %v", k, th)
				}
			}
		})
	}
	wg.Wait()
	if c.len() > 100 {
		t.Errorf("len %d over the bound", c.len())
	}
}

func TestCacheKey(t *testing.T) {
	if cacheKey("  Battery\tDIED  fast ") != cacheKey("battery died fast") {
		t.Error("case and white space change the key")
	}
}
