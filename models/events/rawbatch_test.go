package events

import (
	"reflect"
	"testing"
)

func TestRawBatchRoundTrip(t *testing.T) {
	var kafka RawBatch
	kafka.Prefix = "kafka://t/2@"
	kafka.AddOffset(41, 1_700_000_000_500, []byte(`{"a":1}`), 7, "")
	kafka.AddOffset(42, 1_700_000_000_100, nil, 0, "") // a tombstone
	kafka.AddOffset(45, 1_700_000_000_900, []byte("xx"), 2<<20, "record is 2097152 bytes, over the limit")
	var pubsub RawBatch
	pubsub.Prefix = "pubsub://projects/p/subscriptions/s@"
	pubsub.AddID("m1", -5, []byte("{}"), 2, "")
	for _, b := range []RawBatch{kafka, pubsub, {Prefix: "kafka://t/0@"}} {
		got, err := DecodeRawBatch(b.AppendBinary(nil))
		if err != nil {
			t.Fatalf("%s: %v", b.Prefix, err)
		}
		if got.Len() != b.Len() {
			t.Fatalf("%s: %d records, want %d", b.Prefix, got.Len(), b.Len())
		}
		for i := range b.Len() {
			if g, w := got.Raw(i), b.Raw(i); g.Source != w.Source || string(g.Data) != string(w.Data) || g.Size != w.Size || g.Problem != w.Problem || got.Times[i] != b.Times[i] {
				t.Errorf("%s record %d = %+v at %d, want %+v at %d", b.Prefix, i, g, got.Times[i], w, b.Times[i])
			}
		}
	}
	if got, want := kafka.Raw(1).Source, "kafka://t/2@42"; got != want {
		t.Errorf("Source = %q, want %q", got, want)
	}
	if got, want := kafka.Earliest(), int64(1_700_000_000_100); got != want {
		t.Errorf("Earliest = %d, want %d (the second record's, not the first's)", got, want)
	}
	if kafka.Problem(0) != "" || kafka.Problem(2) == "" || pubsub.Problems != nil {
		t.Errorf("Problems = %q, %q: want only the rejected record's", kafka.Problems, pubsub.Problems)
	}
}

func TestDecodeRawBatchRejectsTruncation(t *testing.T) {
	var b RawBatch
	b.Prefix = "kafka://t/0@"
	b.AddOffset(1, 2, []byte("abc"), 3, "")
	enc := b.AppendBinary(nil)
	for n := range len(enc) {
		if _, err := DecodeRawBatch(enc[:n]); err == nil {
			t.Errorf("DecodeRawBatch of %d of %d bytes: no error", n, len(enc))
		}
	}
	if _, err := DecodeRawBatch(append(enc, 0)); err == nil {
		t.Error("DecodeRawBatch with a trailing byte: no error")
	}
}

func FuzzDecodeRawBatch(f *testing.F) {
	var b RawBatch
	b.AddID("x", 1, []byte("y"), 1, "z")
	f.Add(b.AppendBinary(nil))
	f.Fuzz(func(t *testing.T, data []byte) {
		got, err := DecodeRawBatch(data)
		if err != nil {
			return
		}
		again, err := DecodeRawBatch(got.AppendBinary(nil))
		if err != nil || !reflect.DeepEqual(again.Times, got.Times) || again.Len() != got.Len() {
			t.Fatalf("re-decoding a decoded batch: %v", err)
		}
	})
}
