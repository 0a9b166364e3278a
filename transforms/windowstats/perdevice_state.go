package windowstats

import (
	"encoding/binary"
	"errors"
	"math"
)

// deviceWindows is what PerDevice keeps per device. Its encoding is ours
// (versioned, no reflection): it is read back after a Flink restore.
type deviceWindows struct {
	// Progress is the newest event time (ms) the device has shown.
	Progress int64
	// ClosedThrough: every window ending at or before it is closed
	// (dropped by the watermark); math.MinInt64 before the first.
	ClosedThrough int64
	// OnTimeAt and ExpireAt are when the on-time and expiry timers are set
	// to fire (ms), 0 for none: see perDeviceFn.write.
	OnTimeAt, ExpireAt int64
	// Open are the windows kept, one per metric and window.
	Open []*openWindow

	// index finds an open window by metric and start once Open holds more
	// than linearSeries (a device sending thousands of metrics); nil until
	// then, and after fire drops windows. Not encoded.
	index map[windowKey]*openWindow
}

type windowKey struct {
	metric string
	start  int64
}

type openWindow struct {
	Metric     string
	Start, End int64
	// Fired: the on-time pane went out; Dirty: refined since the last pane.
	Fired, Dirty bool
	// Pane is the index of the last pane fired (0: on time).
	Pane int
	Acc  accumulator
}

// accepts reports whether a reading for window [start, end) may still
// count: its window is open, or may open (not closed by the watermark and
// within allowed lateness of the device's progress).
func (dw *deviceWindows) accepts(start, end, lateness int64) bool {
	for _, w := range dw.Open {
		if w.Start == start && w.End == end {
			return true
		}
	}
	if end <= dw.ClosedThrough {
		return false
	}
	return dw.Progress == math.MinInt64 || end > dw.Progress-lateness
}

// window returns the open window of metric at [start, end), opening it.
func (dw *deviceWindows) window(metric string, start, end int64) *accumulator {
	if dw.index == nil && len(dw.Open) > linearSeries {
		dw.index = make(map[windowKey]*openWindow, 2*len(dw.Open))
		for _, w := range dw.Open {
			dw.index[windowKey{w.Metric, w.Start}] = w
		}
	}
	var w *openWindow
	if dw.index != nil {
		w = dw.index[windowKey{metric, start}]
	} else {
		for _, o := range dw.Open {
			if o.Start == start && o.Metric == metric {
				w = o
				break
			}
		}
	}
	if w == nil {
		w = &openWindow{Metric: metric, Start: start, End: end}
		dw.Open = append(dw.Open, w)
		if dw.index != nil {
			dw.index[windowKey{metric, start}] = w
		}
	}
	w.Dirty = true
	return &w.Acc
}

// firstUnfiredEnd is the end of the device's first window that has not
// fired its on-time pane, 0 if none.
func (dw *deviceWindows) firstUnfiredEnd() int64 {
	var at int64
	for _, w := range dw.Open {
		if !w.Fired && (at == 0 || w.End < at) {
			at = w.End
		}
	}
	return at
}

func satAdd(a, b int64) int64 {
	if a > math.MaxInt64-b {
		return math.MaxInt64
	}
	return a + b
}

const windowsCodecVersion = 1

var errCorruptWindows = errors.New("windowstats: corrupt device state")

func (dw *deviceWindows) encode() []byte {
	b := []byte{windowsCodecVersion}
	b = binary.AppendVarint(b, dw.Progress)
	b = binary.AppendVarint(b, dw.ClosedThrough)
	b = binary.AppendVarint(b, dw.OnTimeAt)
	b = binary.AppendVarint(b, dw.ExpireAt)
	b = binary.AppendUvarint(b, uint64(len(dw.Open)))
	for _, w := range dw.Open {
		b = binary.AppendUvarint(b, uint64(len(w.Metric)))
		b = append(b, w.Metric...)
		b = binary.AppendVarint(b, w.Start)
		b = binary.AppendVarint(b, w.End)
		flags := byte(0)
		if w.Fired {
			flags |= 1
		}
		if w.Dirty {
			flags |= 2
		}
		b = append(b, flags)
		b = binary.AppendUvarint(b, uint64(w.Pane))
		acc := appendAccumulator(nil, w.Acc)
		b = binary.AppendUvarint(b, uint64(len(acc)))
		b = append(b, acc...)
	}
	return b
}

func decodeDeviceWindows(b []byte) (deviceWindows, error) {
	var dw deviceWindows
	if len(b) == 0 || b[0] != windowsCodecVersion {
		return dw, errCorruptWindows
	}
	b = b[1:]
	bad := false
	varint := func() int64 {
		v, n := binary.Varint(b)
		if n <= 0 {
			bad = true
			return 0
		}
		b = b[n:]
		return v
	}
	uvarint := func(limit int) int {
		v, n := binary.Uvarint(b)
		if n <= 0 || v > uint64(limit) {
			bad = true
			return 0
		}
		b = b[n:]
		return int(v)
	}
	chunk := func() []byte {
		n := uvarint(len(b))
		if bad {
			return nil
		}
		c := b[:n]
		b = b[n:]
		return c
	}
	dw.Progress, dw.ClosedThrough, dw.OnTimeAt, dw.ExpireAt = varint(), varint(), varint(), varint()
	n := uvarint(len(b) / 8)
	for i := 0; i < n && !bad; i++ {
		w := &openWindow{Metric: string(chunk()), Start: varint(), End: varint()}
		if len(b) == 0 {
			bad = true
			break
		}
		w.Fired, w.Dirty = b[0]&1 != 0, b[0]&2 != 0
		b = b[1:]
		w.Pane = uvarint(math.MaxInt32)
		acc := chunk()
		if bad {
			break
		}
		var err error
		if w.Acc, err = decodeAccumulator(acc); err != nil {
			return deviceWindows{}, err
		}
		dw.Open = append(dw.Open, w)
	}
	if bad || len(b) != 0 {
		return deviceWindows{}, errCorruptWindows
	}
	return dw, nil
}
