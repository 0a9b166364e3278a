package dedup

import (
	"encoding/binary"
	"math"
)

const minTime = math.MinInt64

// seenSet is one device's state: each identity seen and its event time,
// and the newest event time among them.
type seenSet struct {
	newest int64
	// timerAt is when the expiry timer is set to fire (ms), 0 for none.
	timerAt int64
	ids     map[string]int64
}

// prune forgets identities more than window behind the newest.
func (s *seenSet) prune(window int64) {
	if s.newest == minTime {
		return
	}
	for k, t := range s.ids {
		if t < s.newest-window {
			delete(s.ids, k)
		}
	}
}

// encode writes the set: a version byte, the count, then each identity
// and its time.
func (s seenSet) encode() []byte {
	b := []byte{1}
	b = binary.AppendVarint(b, s.newest)
	b = binary.AppendVarint(b, s.timerAt)
	b = binary.AppendUvarint(b, uint64(len(s.ids)))
	for k, t := range s.ids {
		b = binary.AppendUvarint(b, uint64(len(k)))
		b = append(b, k...)
		b = binary.AppendVarint(b, t)
	}
	return b
}

func decodeSeen(b []byte) (seenSet, error) {
	s := seenSet{newest: minTime, ids: map[string]int64{}}
	if len(b) == 0 {
		return s, nil
	}
	if b[0] != 1 {
		return s, errCorrupt
	}
	b = b[1:]
	var w int
	if s.newest, w = binary.Varint(b); w <= 0 {
		return s, errCorrupt
	}
	b = b[w:]
	if s.timerAt, w = binary.Varint(b); w <= 0 {
		return s, errCorrupt
	}
	b = b[w:]
	n, w := binary.Uvarint(b)
	if w <= 0 {
		return s, errCorrupt
	}
	b = b[w:]
	for i := uint64(0); i < n; i++ {
		l, w := binary.Uvarint(b)
		if w <= 0 || l > uint64(len(b)-w) {
			return s, errCorrupt
		}
		k := string(b[w : w+int(l)])
		b = b[w+int(l):]
		t, w := binary.Varint(b)
		if w <= 0 {
			return s, errCorrupt
		}
		b = b[w:]
		s.ids[k] = t
	}
	return s, nil
}
