package synth

import (
	"bufio"
	"bytes"
	"encoding/json"
	"testing"
	"time"

	"github.com/beamlens/beamlens/models/events"
)

func TestSensorsDeterministicAndLabelled(t *testing.T) {
	var a, b, la bytes.Buffer
	o := SensorOptions{N: 5000, Seed: 7}
	if err := Sensors(&a, &la, o); err != nil {
		t.Fatal(err)
	}
	if err := Sensors(&b, nil, o); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(a.Bytes(), b.Bytes()) {
		t.Fatal("same seed gave different streams")
	}
	lines := bytes.Split(bytes.TrimSuffix(a.Bytes(), []byte("\n")), []byte("\n"))
	if len(lines) != o.N {
		t.Fatalf("got %d lines, want %d", len(lines), o.N)
	}
	var dec events.ReadingDecoder
	kinds := map[string]int{}
	outOfOrder := 0
	sc := bufio.NewScanner(&la)
	for i := 0; sc.Scan(); i++ {
		var l SensorLabel
		if err := json.Unmarshal(sc.Bytes(), &l); err != nil {
			t.Fatal(err)
		}
		if l.Line != i+1 {
			t.Fatalf("label %d has line %d", i+1, l.Line)
		}
		kinds[l.Kind]++
		if l.OutOfOrder {
			outOfOrder++
		}
		_, err := dec.Decode(lines[i])
		if (err != nil) != (l.Kind == KindMalformed) {
			t.Errorf("line %d (%s): decode error %v", l.Line, l.Kind, err)
		}
	}
	for _, k := range []string{KindNormal, KindSpike, KindMalformed} {
		if kinds[k] == 0 {
			t.Errorf("no %s records in %v", k, kinds)
		}
	}
	if outOfOrder == 0 {
		t.Error("no out-of-order records")
	}
}

func TestReviewsLabelled(t *testing.T) {
	var a, la bytes.Buffer
	if err := Reviews(&a, &la, ReviewOptions{N: 500, Seed: 3}); err != nil {
		t.Fatal(err)
	}
	var dec events.ReviewDecoder
	rs := bufio.NewScanner(&a)
	ls := bufio.NewScanner(&la)
	spikes := 0
	for rs.Scan() && ls.Scan() {
		var l ReviewLabel
		if err := json.Unmarshal(ls.Bytes(), &l); err != nil {
			t.Fatal(err)
		}
		_, err := dec.Decode(rs.Bytes())
		if (err != nil) != (l.Kind == KindMalformed) {
			t.Errorf("line %d (%s): %v", l.Line, l.Kind, err)
		}
		if l.Kind == KindNormal && (len(l.Themes) == 0 || len(l.Themes) > 3) {
			t.Errorf("line %d has themes %v", l.Line, l.Themes)
		}
		if l.Spike {
			spikes++
		}
	}
	if spikes < 50 {
		t.Errorf("only %d spike reviews", spikes)
	}
}

// TestLongSensorTimelineEndsInThePast: a default timeline too long to end
// by 2026-01-01 from 2025-01-01 starts early enough to end there (a 10M
// stream used to run into 2027, its last ~2M readings in the future);
// shorter ones keep their start, so their records do not change.
func TestLongSensorTimelineEndsInThePast(t *testing.T) {
	for _, n := range []int{1, 10000, 1000000, 4000000, 10000000, 100000000} {
		o := SensorOptions{N: n}.withDefaults()
		last := o.Start.Add(time.Duration((n-1)/o.Devices) * o.Interval)
		if last.After(defaultEnd) {
			t.Errorf("N=%d: the last reading is at %s, after %s", n, last, defaultEnd)
		}
		if short := !defaultStart.Add(time.Duration((n-1)/o.Devices) * o.Interval).After(defaultEnd); short != o.Start.Equal(defaultStart) {
			t.Errorf("N=%d: starts at %s", n, o.Start)
		}
	}
}
