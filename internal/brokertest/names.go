package brokertest

import (
	"fmt"
	"sync/atomic"
	"time"
)

var nameSeq atomic.Int64

// UniqueName returns prefix with a suffix no other call in any process
// gives (the process start and a counter), for topics, subscriptions and
// groups that outlive one test run on a shared broker.
func UniqueName(prefix string) string {
	return fmt.Sprintf("%s-%d-%d", prefix, startNanos, nameSeq.Add(1))
}

var startNanos = time.Now().UnixNano()

// Reading is the record number seq of the kit's test streams:
// {"device_id":"d<seq%7>","seq":<seq>}.
func Reading(seq int) []byte {
	return fmt.Appendf(nil, `{"device_id":"d%d","seq":%d}`, seq%7, seq)
}

// Readings returns n readings numbered from first.
func Readings(first, n int) [][]byte {
	out := make([][]byte, n)
	for i := range out {
		out[i] = Reading(first + i)
	}
	return out
}
