package synth

import (
	"cmp"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"strconv"
	"time"

	"github.com/beamlens/beamlens/models/events"
)

// Kinds of generated sensor records, as written in the labels.
const (
	KindNormal     = "normal"
	KindSpike      = "spike"
	KindLevelShift = "level_shift"
	KindDrift      = "drift"
	KindMalformed  = "malformed"
)

// SensorOptions shapes a sensor stream. The zero value is the default.
type SensorOptions struct {
	// N is the number of records (lines). Default 10,000.
	N int
	// Seed makes the stream reproducible. Default 0 (itself a seed).
	Seed uint64
	// Devices is the number of devices. Default 8.
	Devices int
	// Start is the first event time. Default 2025-01-01T00:00:00Z, or,
	// for a stream too long to end by 2026-01-01 (more than ~4.2M
	// readings of 8 devices a minute apart), early enough to end there:
	// in the past either way, so the decoders' future check never trips.
	// (A 10M-reading stream from 2025 ran into 2027, and ~2M of its
	// readings, a number that grew with the wall clock, were dead letters
	// for being in the future.)
	Start time.Time
	// Interval is the time between two readings of one device. Default 1m.
	Interval time.Duration
	// SpikeRate, ShiftRate, MalformedRate and OutOfOrderRate are per-record
	// probabilities. Defaults 0.004, 0.0005, 0.005 and 0.01.
	SpikeRate, ShiftRate, MalformedRate, OutOfOrderRate float64
}

func (o SensorOptions) withDefaults() SensorOptions {
	o.N = positiveOr(o.N, 10000)
	o.Devices = positiveOr(o.Devices, 8)
	o.Interval = positiveOr(o.Interval, time.Minute)
	if o.Start.IsZero() {
		o.Start = defaultStart
		// The last reading is at step (N-1)/Devices.
		span := time.Duration((o.N-1)/o.Devices) * o.Interval
		if end := o.Start.Add(span); end.After(defaultEnd) {
			o.Start = defaultEnd.Add(-span)
		}
	}
	o.SpikeRate = cmp.Or(o.SpikeRate, 0.004)
	o.ShiftRate = cmp.Or(o.ShiftRate, 0.0005)
	o.MalformedRate = cmp.Or(o.MalformedRate, 0.005)
	o.OutOfOrderRate = cmp.Or(o.OutOfOrderRate, 0.01)
	return o
}

// SensorLabel describes one generated line.
type SensorLabel struct {
	Line       int    `json:"line"`
	DeviceID   string `json:"device_id"`
	Kind       string `json:"kind"`
	OutOfOrder bool   `json:"out_of_order"`
}

type device struct {
	id               string
	base, amp, phase float64
	drift            float64 // degrees per reading while drifting
	driftLeft        int
	driftOffset      float64 // accumulated drift, which decays once it ends
	shift            float64
	shiftLeft        int
}

// Sensors writes o.N lines of sensor readings to w and their labels to
// labels (which may be nil).
func Sensors(w io.Writer, labels io.Writer, o SensorOptions) error {
	o = o.withDefaults()
	rng := rand.New(rand.NewPCG(o.Seed, 0x5e9505))
	devs := make([]*device, o.Devices)
	for i := range devs {
		devs[i] = &device{
			id:    fmt.Sprintf("sensor-%03d", i+1),
			base:  60 + rng.Float64()*15,
			amp:   4 + rng.Float64()*6,
			phase: rng.Float64() * 2 * math.Pi,
		}
	}
	var held []byte // a line held back one step to arrive out of order
	var heldLabel SensorLabel
	line := 0
	emit := func(rec []byte, l SensorLabel) error {
		line++
		l.Line = line
		if _, err := w.Write(append(rec, '\n')); err != nil {
			return err
		}
		return writeLabel(labels, l)
	}
	for i := 0; i < o.N; i++ {
		d := devs[i%o.Devices]
		step := i / o.Devices
		t := o.Start.Add(time.Duration(step) * o.Interval)
		rec, lab := d.next(rng, t, step, i, o)
		if held != nil {
			// Emit the current record before the held one: the held record
			// now arrives after a later event time.
			if err := emit(rec, lab); err != nil {
				return err
			}
			heldLabel.OutOfOrder = true
			if err := emit(held, heldLabel); err != nil {
				return err
			}
			held = nil
			continue
		}
		if lab.Kind != KindMalformed && i < o.N-1 && rng.Float64() < o.OutOfOrderRate {
			held, heldLabel = rec, lab
			continue
		}
		if err := emit(rec, lab); err != nil {
			return err
		}
	}
	if held != nil {
		return emit(held, heldLabel)
	}
	return nil
}

func (d *device) next(rng *rand.Rand, t time.Time, step, i int, o SensorOptions) ([]byte, SensorLabel) {
	lab := SensorLabel{DeviceID: d.id, Kind: KindNormal}
	if rng.Float64() < o.MalformedRate {
		lab.Kind = KindMalformed
		return malformedReading(rng, d.id, t), lab
	}
	day := 2 * math.Pi * float64(t.Sub(o.Start)) / float64(24*time.Hour)
	temp := d.base + d.amp*math.Sin(day+d.phase) + rng.NormFloat64()*0.8
	if d.driftLeft == 0 && rng.Float64() < o.ShiftRate {
		d.driftLeft, d.drift = 200+rng.IntN(400), (rng.Float64()-0.3)*0.05
	}
	if d.driftLeft > 0 {
		d.driftLeft--
		d.driftOffset += d.drift
		lab.Kind = KindDrift
	} else {
		// A drift is a slow excursion, not a new normal: it decays back
		// (half-life ~70 readings) so long streams stay centred.
		d.driftOffset *= 0.99
	}
	temp += d.driftOffset
	if d.shiftLeft == 0 && rng.Float64() < o.ShiftRate {
		d.shiftLeft, d.shift = 30+rng.IntN(90), 15+rng.Float64()*15
	}
	if d.shiftLeft > 0 {
		d.shiftLeft--
		temp += d.shift
		lab.Kind = KindLevelShift
	}
	if rng.Float64() < o.SpikeRate {
		temp += 35 + rng.Float64()*40
		lab.Kind = KindSpike
	}
	humidity := 40 + 10*math.Cos(day) + rng.NormFloat64()*2
	b := make([]byte, 0, 160)
	b = append(b, `{"device_id":`...)
	b = events.AppendString(b, d.id)
	b = append(b, `,"timestamp":"`...)
	b = t.AppendFormat(b, time.RFC3339)
	b = append(b, `","temperature":`...)
	b = strconv.AppendFloat(b, math.Round(temp*100)/100, 'f', -1, 64)
	b = append(b, `,"humidity":`...)
	b = strconv.AppendFloat(b, math.Round(humidity*10)/10, 'f', -1, 64)
	b = append(b, `,"reading_id":"r-`...)
	b = strconv.AppendInt(b, int64(i+1), 10)
	b = append(b, `"}`...)
	return b, lab
}

// malformedReading returns one of the ways real producers break records.
func malformedReading(rng *rand.Rand, id string, t time.Time) []byte {
	ts := t.Format(time.RFC3339)
	switch rng.IntN(8) {
	case 0:
		return []byte(`{"device_id":"` + id + `","timestamp":"` + ts + `","temper`)
	case 1:
		return []byte(`{"device_id":"` + id + `","timestamp":"` + ts + `","temperature":"hot"}`)
	case 2:
		return []byte(`{"timestamp":"` + ts + `","temperature":70.1}`)
	case 3:
		return []byte(`{"device_id":"` + id + `","timestamp":"not a time","temperature":70.1}`)
	case 4:
		return []byte(`{"device_id":"` + id + `","timestamp":"` + ts + `","temperature":NaN}`)
	case 5:
		return []byte(`{"device_id":"` + id + `","timestamp":"` + ts + `","temperature":1e400}`)
	case 6:
		return []byte("\xff\xfe garbage \x00 bytes")
	default:
		return []byte(`{"device_id":"","timestamp":"` + ts + `","temperature":70.1}`)
	}
}

// defaultStart is where generated data begins when no Start is given.
var defaultStart = time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)

// defaultEnd is the latest a default sensor timeline ends (SensorOptions.Start).
var defaultEnd = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

// positiveOr returns v, or def when v is zero or negative.
func positiveOr[T int | time.Duration](v, def T) T {
	if v <= 0 {
		return def
	}
	return v
}
