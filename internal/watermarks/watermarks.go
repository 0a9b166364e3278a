package watermarks

import (
	"sync"
	"time"
)

// Registry maps a read (a Kafka partition, a Pub/Sub subscription) to the
// newest watermark it estimated, in Unix ms. Safe for concurrent use; the
// zero value is ready.
type Registry struct {
	mu    sync.Mutex
	byKey map[string]int64
}

// Publish records key's watermark after a read; a read that ended (done)
// no longer holds the source back and is forgotten. A watermark at or
// before 1970 is an estimator's initial state, not an estimate: it is not
// recorded.
func (r *Registry) Publish(key string, ms int64, done bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	switch {
	case done:
		delete(r.byKey, key)
	case ms > 0:
		if r.byKey == nil {
			r.byKey = map[string]int64{}
		}
		r.byKey[key] = ms
	}
}

// Oldest returns the oldest recorded watermark: the source's watermark
// when all its readers run in this process. ok is false when none is
// recorded.
func (r *Registry) Oldest() (wm time.Time, ok bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	oldest := int64(0)
	for _, ms := range r.byKey {
		if !ok || ms < oldest {
			oldest, ok = ms, true
		}
	}
	return time.UnixMilli(oldest), ok
}
