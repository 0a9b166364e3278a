package detectors

import (
	"bytes"
	"errors"
	"math"
	"math/rand/v2"
	"reflect"
	"testing"
)

// TestStateErrors: every way state can be wrong is reported with its
// sentinel, and leaves the detector as good as new.
func TestStateErrors(t *testing.T) {
	values := gaussian(4, 300, 10, 2)
	fresh := run(NewRobustZScore(Config{}), values[:50])
	good := NewRobustZScore(Config{})
	run(good, values)
	state, _ := good.MarshalBinary()

	other := NewIQR(Config{})
	run(other, values)
	otherKind, _ := other.MarshalBinary()
	wide := NewRobustZScore(Config{Window: 200})
	run(wide, values)
	otherWindow, _ := wide.MarshalBinary()

	nan := bytes.Clone(state)
	copy(nan[len(nan)-8:], []byte{0, 0, 0, 0, 0, 0, 0xf8, 0x7f}) // last float := NaN
	version := bytes.Clone(state)
	version[0] = 99

	for _, c := range []struct {
		name string
		data []byte
		want error
	}{
		{"empty", nil, ErrStateCorrupt},
		{"short header", state[:5], ErrStateCorrupt},
		{"truncated body", state[:len(state)-3], ErrStateCorrupt},
		{"trailing bytes", append(bytes.Clone(state), 0), ErrStateCorrupt},
		{"NaN inside", nan, ErrStateCorrupt},
		{"future version", version, ErrStateVersion},
		{"other kind", otherKind, ErrStateMismatch},
		{"other window", otherWindow, ErrStateMismatch},
	} {
		d := NewRobustZScore(Config{})
		run(d, values[:100])
		err := d.UnmarshalBinary(c.data)
		if !errors.Is(err, c.want) {
			t.Errorf("%s: UnmarshalBinary = %v, want %v", c.name, err, c.want)
		}
		if got := run(d, values[:50]); !reflect.DeepEqual(got, fresh) {
			t.Errorf("%s: detector not reset after a failed restore", c.name)
		}
	}
}

// TestStateSurvivesThresholdChange: thresholds and warm-up are not part of
// the state, so changing them between runs keeps what was learned.
func TestStateSurvivesThresholdChange(t *testing.T) {
	for _, n := range Known() {
		a, _ := New(n, Config{})
		run(a, gaussian(2, 400, 5, 1))
		state, _ := a.MarshalBinary()
		b, _ := New(n, Config{ScoreThreshold: 5, WarmUp: 100, Threshold: 7})
		if err := b.UnmarshalBinary(state); err != nil {
			t.Errorf("%s: state refused after a threshold change: %v", n, err)
		}
	}
}

// TestNegativeZero: -0 and +0 leave identical state, so restored sorted
// windows cannot differ in the sign of a zero.
func TestNegativeZero(t *testing.T) {
	for _, n := range Known() {
		a, _ := New(n, Config{})
		b, _ := New(n, Config{})
		for i := range 50 {
			v := float64(i%3) - 1
			if v == 0 {
				a.Update(math.Copysign(0, -1))
				b.Update(0)
				continue
			}
			a.Update(v)
			b.Update(v)
		}
		sa, _ := a.MarshalBinary()
		sb, _ := b.MarshalBinary()
		if !bytes.Equal(sa, sb) {
			t.Errorf("%s: -0 and +0 leave different state", n)
		}
	}
}

// FuzzUnmarshalBinary: no bytes make a detector panic, on restore or after.
func FuzzUnmarshalBinary(f *testing.F) {
	names := Known()
	for i, n := range names {
		d, _ := New(n, Config{Quantile: 0.9})
		run(d, gaussian(uint64(i), 300, 1, 1))
		s, _ := d.MarshalBinary()
		f.Add(uint8(i), s)
	}
	f.Fuzz(func(t *testing.T, which uint8, data []byte) {
		d, _ := New(names[int(which)%len(names)], Config{Quantile: 0.9})
		if err := d.UnmarshalBinary(data); err != nil {
			return
		}
		for _, v := range []float64{0, 1, -1e6, 1e6, 3} {
			if s := d.Update(v).Score; math.IsNaN(s) || math.IsInf(s, 0) {
				t.Fatalf("score %v after restoring %x", s, data)
			}
		}
		if _, err := d.MarshalBinary(); err != nil {
			t.Fatal(err)
		}
	})
}

// TestUnmarshalMutations is FuzzUnmarshalBinary's corpus made by hand:
// thousands of seeded mutations (flips, deletions, insertions, runs of 0xff,
// truncations) of every detector's state, so a plain go test guards what
// the fuzzer found.
func TestUnmarshalMutations(t *testing.T) {
	names := Known()
	var seeds [][]byte
	for i, n := range names {
		d, _ := New(n, Config{Quantile: 0.9})
		run(d, gaussian(uint64(i), 300, 1, 1))
		s, _ := d.MarshalBinary()
		seeds = append(seeds, s)
	}
	ds := make([]Detector, len(names))
	for i, n := range names {
		ds[i], _ = New(n, Config{Quantile: 0.9})
	}
	rng := rand.New(rand.NewPCG(7, 9))
	for range 4000 {
		w := rng.IntN(len(names))
		data := bytes.Clone(seeds[w])
		for range 1 + rng.IntN(6) {
			if len(data) <= 11 {
				break
			}
			p := 10 + rng.IntN(len(data)-10)
			switch rng.IntN(5) {
			case 0:
				data[p] = byte(rng.IntN(256))
			case 1:
				data = append(data[:p], data[p+1:]...)
			case 2:
				data = append(data[:p], append([]byte{byte(rng.IntN(256))}, data[p:]...)...)
			case 3:
				copy(data[p:], bytes.Repeat([]byte{0xff}, 8))
			case 4:
				data = data[:p]
			}
		}
		d := ds[w]
		if err := d.UnmarshalBinary(data); err != nil {
			continue
		}
		for _, v := range []float64{0, 1, -1e6, 1e6, 3} {
			if s := d.Update(v).Score; math.IsNaN(s) || math.IsInf(s, 0) {
				t.Fatalf("%s: score %v after restoring %x", names[w], s, data)
			}
		}
	}
}
