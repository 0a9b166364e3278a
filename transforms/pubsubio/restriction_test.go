package pubsubio

import (
	"reflect"
	"testing"
)

func TestRestrictionCoder(t *testing.T) {
	for _, r := range []readRestriction{
		{},
		{Held: []heldBatch{{EmittedMs: 1, DeadlineMs: 2, AckIDs: []string{"a", "b:1"}}, {EmittedMs: 3, AckIDs: []string{"c"}}},
			Read: 7, ActiveMs: 99, Finishing: true},
		{Done: true},
	} {
		b, err := encodeRestriction(r)
		if err != nil {
			t.Fatal(err)
		}
		got, err := decodeRestriction(b)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got, r) {
			t.Errorf("round trip of %v gave %v", r, got)
		}
	}
	if _, err := decodeRestriction([]byte("{")); err == nil {
		t.Error("a corrupt encoding decoded")
	}
}

// A checkpoint hands the residual what is still to acknowledge: the held
// batches not acknowledged in this call and the messages claimed in it.
func TestTrackerCheckpointCarriesClaims(t *testing.T) {
	old := heldBatch{EmittedMs: 1, DeadlineMs: 60_001, AckIDs: []string{"old-1", "old-2"}}
	kept := heldBatch{EmittedMs: 5, DeadlineMs: 60_005, AckIDs: []string{"kept"}}
	rt := newReadTracker(readRestriction{Held: []heldBatch{old, kept}, Read: 10, ActiveMs: 3})
	rt.setHeld([]heldBatch{kept}) // old was acknowledged
	for _, id := range []string{"a", "b"} {
		if !rt.TryClaim(id) {
			t.Fatalf("claim of %s refused", id)
		}
	}
	rt.pulled(1_000, 11_000)
	rt.pulled(1_500, 11_500) // a later pull: the batch is as old as its first
	rt.extended(61_000)
	rt.setActive(1_500)
	if ids, total := rt.claimed(); len(ids) != 2 || total != 12 {
		t.Errorf("claimed %v, %d in all; want 2 and 12", ids, total)
	}
	if rt.IsDone() {
		t.Fatal("done before the checkpoint: the SDK would not checkpoint it")
	}
	p, r, err := rt.TrySplit(0)
	if err != nil {
		t.Fatal(err)
	}
	if !p.(readRestriction).Done || !rt.IsDone() {
		t.Errorf("primary %v is not done", p)
	}
	want := readRestriction{Held: []heldBatch{kept, {EmittedMs: 1_000, DeadlineMs: 61_000, AckIDs: []string{"a", "b"}}}, Read: 12, ActiveMs: 1_500}
	if !reflect.DeepEqual(r, want) {
		t.Errorf("residual %v, want %v", r, want)
	}
	if rt.TryClaim("c") {
		t.Error("a claim after the checkpoint was accepted: its message would be in neither restriction")
	}
	if p, r, _ := rt.TrySplit(0); p != nil || r != nil {
		t.Error("a second checkpoint split again")
	}
}

func TestTrackerRefusesOtherSplits(t *testing.T) {
	rt := newReadTracker(readRestriction{})
	rt.TryClaim("a")
	if p, r, err := rt.TrySplit(0.5); p != nil || r != nil || err != nil {
		t.Errorf("split at 0.5 gave %v, %v, %v; want nothing", p, r, err)
	}
	if rt.IsDone() || !rt.TryClaim("b") {
		t.Error("a refused split stopped the tracker")
	}
}

// A finishing read claims nothing more, and its checkpoint says so.
func TestTrackerFinishing(t *testing.T) {
	rt := newReadTracker(readRestriction{})
	rt.TryClaim("last")
	rt.finishing()
	if rt.TryClaim("more") {
		t.Error("a finishing tracker accepted a claim")
	}
	_, r, _ := rt.TrySplit(0)
	if res := r.(readRestriction); !res.Finishing || len(res.Held) != 1 || res.Held[0].AckIDs[0] != "last" {
		t.Errorf("residual %v should finish and hold the last claim", res)
	}

	end := newReadTracker(readRestriction{Finishing: true})
	if !end.stop() || !end.IsDone() || !end.GetRestriction().(readRestriction).Done {
		t.Error("stop did not end the read")
	}
	if end.stop() {
		t.Error("a second stop reported success")
	}
}
