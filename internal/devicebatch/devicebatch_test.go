package devicebatch

import (
	"strings"
	"testing"

	"github.com/apache/beam/sdks/v2/go/pkg/beam"
)

// A batch per device, stamped with its earliest event time, full at max,
// empty after a flush.
func TestBatcher(t *testing.T) {
	b := New[string](4)
	b.Reset()
	if b.Add("a", 30, "a1") || b.Add("b", 20, "b1") || b.Add("a", 10, "a2") {
		t.Fatal("full before 4 elements")
	}
	if !b.Add("a", 40, "a3") {
		t.Fatal("not full at 4 elements")
	}
	got := map[string]string{}
	at := map[string]beam.EventTime{}
	flush := func() {
		b.Flush(func(xs []string) []byte { return []byte(strings.Join(xs, ",")) },
			func(et beam.EventTime, device string, batch []byte) { got[device], at[device] = string(batch), et })
	}
	flush()
	if got["a"] != "a1,a2,a3" || got["b"] != "b1" || len(got) != 2 {
		t.Errorf("batches %v", got)
	}
	if at["a"] != 10 || at["b"] != 20 {
		t.Errorf("stamped %v, want a at 10 and b at 20", at)
	}
	clear(got)
	flush()
	if len(got) != 0 {
		t.Errorf("a flushed batcher emitted %v", got)
	}
}
