package pubsubio

import (
	"encoding/json"
	"fmt"
	"sync"
)

// readRestriction is the restriction of the read: not a range of positions
// (a subscription has none) but what must survive between two bundles of
// the same read. Its central part is Held: the ack IDs of messages that
// committed bundles emitted and that are not acknowledged yet. A bundle's
// messages enter Held of the residual it checkpoints, and the runner
// resumes a residual only after it committed the bundle that produced it:
// so a message is acknowledged only after its bundle committed, on every
// runner, without bundle finalization.
type readRestriction struct {
	// Held are batches of messages emitted by committed bundles, oldest
	// first, whose acknowledgement is still due.
	Held []heldBatch `json:"held,omitempty"`
	// Read counts the messages emitted by committed bundles, for
	// MaxMessages.
	Read int64 `json:"read,omitempty"`
	// ActiveMs is the wall clock (Unix ms) of the last pull that returned
	// messages or failed, or of the read's first pull: the start of the
	// idle time StopAfterIdle measures. 0 before the first pull.
	ActiveMs int64 `json:"active,omitempty"`
	// Finishing says that the read has reached its end (MaxMessages,
	// StopAfterIdle or a drain): it pulls no more, acknowledges Held and
	// stops.
	Finishing bool `json:"finishing,omitempty"`
	// Done marks a restriction with nothing left to do: the primary of a
	// checkpoint, or the end of the read.
	Done bool `json:"done,omitempty"`
}

// heldBatch is the messages one bundle emitted.
type heldBatch struct {
	// EmittedMs is when the batch was pulled (Unix ms): AckDelay counts
	// from there.
	EmittedMs int64 `json:"emitted"`
	// DeadlineMs is when the messages' ack deadline runs out, as far as
	// the read knows (Unix ms); it extends the deadline before then.
	DeadlineMs int64 `json:"deadline"`
	// AckIDs are the messages' ack IDs.
	AckIDs []string `json:"ids"`
}

func (r readRestriction) String() string {
	n := 0
	for _, b := range r.Held {
		n += len(b.AckIDs)
	}
	return fmt.Sprintf("{read %d, held %d in %d batches, finishing %t, done %t}", r.Read, n, len(r.Held), r.Finishing, r.Done)
}

// encodeRestriction and decodeRestriction are the coder of readRestriction.
// JSON keeps the ack IDs (opaque strings) readable in runner logs; the
// restriction is small unless AckDelay holds many messages.
func encodeRestriction(r readRestriction) ([]byte, error) { return json.Marshal(r) }

func decodeRestriction(b []byte) (readRestriction, error) {
	var r readRestriction
	if err := json.Unmarshal(b, &r); err != nil {
		return r, fmt.Errorf("pubsubio: corrupt restriction encoding: %w", err)
	}
	return r, nil
}

// readTracker tracks a readRestriction through one ProcessElement call. A
// claim is a message's ack ID. Its only split is the checkpoint (fraction
// 0), which the read asks for by returning sdf.ResumeProcessingIn, and
// which a runner may also ask for while the read runs: the primary is then
// done, and the residual carries what is still to acknowledge - the held
// batches not acknowledged in this call and the messages claimed so far.
// Other splits are refused: one subscription is pulled by one reader.
//
// It locks itself, since the SDK may split it from another goroutine while
// ProcessElement claims.
type readTracker struct {
	mu       sync.Mutex
	rest     readRestriction // as it started; after a split, the primary
	held     []heldBatch     // what the residual will still hold
	batch    heldBatch       // claimed in this call
	active   int64           // the residual's ActiveMs
	finish   bool            // the residual finishes
	stopped  bool            // split at 0, or ended: claims fail
	residual *readRestriction
}

func newReadTracker(r readRestriction) *readTracker {
	return &readTracker{rest: r, held: r.Held, active: r.ActiveMs, finish: r.Finishing, stopped: r.Done}
}

// TryClaim claims the message whose ack ID is pos (a string), or reports
// false once the tracker was split or stopped: the message is then not the
// read's to emit.
func (t *readTracker) TryClaim(pos any) bool {
	id, ok := pos.(string)
	if !ok {
		panic(fmt.Sprintf("pubsubio: claim %T, want an ack ID string", pos))
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.stopped || t.finish {
		return false
	}
	t.batch.AckIDs = append(t.batch.AckIDs, id)
	return true
}

// GetError never reports an error: a refused claim is a split, not one.
func (t *readTracker) GetError() error { return nil }

// TrySplit checkpoints at fraction 0 and refuses any other split.
func (t *readTracker) TrySplit(fraction float64) (primary, residual any, err error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if fraction != 0 || t.stopped {
		return nil, nil, nil
	}
	t.stopped = true
	r := readRestriction{
		Held:      append([]heldBatch(nil), t.held...),
		Read:      t.rest.Read + int64(len(t.batch.AckIDs)),
		ActiveMs:  t.active,
		Finishing: t.finish,
	}
	if len(t.batch.AckIDs) > 0 {
		r.Held = append(r.Held, t.batch)
	}
	t.residual = &r
	t.rest = readRestriction{Done: true}
	return t.rest, r, nil
}

// GetProgress reports the messages claimed as done and one unit of work
// remaining while the read goes on: the backlog is not known.
func (t *readTracker) GetProgress() (done, remaining float64) {
	t.mu.Lock()
	defer t.mu.Unlock()
	done = float64(len(t.batch.AckIDs))
	if !t.stopped {
		remaining = 1
	}
	return done, remaining
}

func (t *readTracker) IsDone() bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.stopped
}

func (t *readTracker) GetRestriction() any {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.rest
}

// IsBounded reports false: a subscription has no end the runner could
// know of; even a bounded read ends only by stopping.
func (t *readTracker) IsBounded() bool { return false }

// setHeld records the held batches that remain after ProcessElement
// acknowledged the others.
func (t *readTracker) setHeld(h []heldBatch) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.held = h
}

// setActive records the start of the idle time the residual carries on.
func (t *readTracker) setActive(ms int64) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.active = ms
}

// claimed returns the ack IDs claimed in this call and how many messages
// the read has emitted in all, committed or not.
func (t *readTracker) claimed() (ids []string, total int64) {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.batch.AckIDs, t.rest.Read + int64(len(t.batch.AckIDs))
}

// pulled stamps the batch claimed in this call: when its first messages
// were pulled and until when their ack deadline lasts. Both keep the
// earliest value given: the batch is as old, and its deadline as near, as
// its first message's.
func (t *readTracker) pulled(emittedMs, deadlineMs int64) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.batch.EmittedMs == 0 || emittedMs < t.batch.EmittedMs {
		t.batch.EmittedMs = emittedMs
	}
	if t.batch.DeadlineMs == 0 || deadlineMs < t.batch.DeadlineMs {
		t.batch.DeadlineMs = deadlineMs
	}
}

// extended records a new ack deadline for the whole batch claimed so far.
func (t *readTracker) extended(deadlineMs int64) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.batch.DeadlineMs = deadlineMs
}

// finishing makes the residual finish: no more claims, acknowledge, stop.
func (t *readTracker) finishing() {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.finish = true
}

// isFinishing reports whether the read has reached its end.
func (t *readTracker) isFinishing() bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.finish
}

// stop ends the read: nothing is left to claim or acknowledge. It reports
// false when the tracker was split first (the residual then goes on).
func (t *readTracker) stop() bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.stopped {
		return false
	}
	t.stopped = true
	t.rest.Done = true
	return true
}
