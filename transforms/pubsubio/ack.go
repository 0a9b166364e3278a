package pubsubio

import (
	"context"
	"errors"
	"fmt"
	"time"

	"cloud.google.com/go/pubsub/v2/apiv1/pubsubpb"
	"github.com/apache/beam/sdks/v2/go/pkg/beam"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/log"
	"github.com/beamlens/beamlens/internal/metrics"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

const (
	// minAckDeadline is the shortest ack deadline Pub/Sub gives a pulled
	// message; the read assumes it rather than asking for the
	// subscription's.
	minAckDeadline = 10 * time.Second
	// ackExtension is the ack deadline a checkpoint gives the messages it
	// hands over, so that they stay leased while the runner commits the
	// bundle and resumes the read (Pub/Sub allows up to 600s). After a
	// failed bundle, its messages are redelivered this long after the
	// checkpoint at most.
	ackExtension = 60 * time.Second
	// renewMargin is how close to its deadline a held batch gets before a
	// resume extends it again.
	renewMargin = 30 * time.Second
	// maxAckDelay bounds ReadOptions.AckDelay: messages are not meant to be
	// leased for long.
	maxAckDelay = 10 * time.Minute
	// ackChunk is how many ack IDs one request carries, well under
	// Pub/Sub's 512 KB request limit.
	ackChunk = 1000
	// rpcTimeout bounds an acknowledgement or a deadline change.
	rpcTimeout = 30 * time.Second
)

var ackCounter = beam.NewCounter(metrics.Namespace, "pubsub_messages_acked")

// settle acknowledges the held batches that are due (held at least
// ackDelay since they were pulled) and extends the deadlines of the others
// that come near them. It returns the batches still held. A failure is
// logged, not retried: its messages are redelivered, which costs a
// duplicate, never a loss.
func (fn *readFn) settle(ctx context.Context, held []heldBatch, now time.Time) []heldBatch {
	nowMs := now.UnixMilli()
	var due []string
	var keep []heldBatch
	var renew []int
	for _, b := range held {
		switch {
		case b.EmittedMs+fn.AckDelayMs <= nowMs:
			due = append(due, b.AckIDs...)
		case b.DeadlineMs-nowMs < renewMargin.Milliseconds():
			renew = append(renew, len(keep))
			keep = append(keep, b)
		default:
			keep = append(keep, b)
		}
	}
	if len(due) > 0 {
		if err := fn.ack(ctx, due); err != nil {
			fn.warnf(ctx, "acknowledging %d message(s), which will be redelivered: %v", len(due), err)
		} else {
			ackCounter.Inc(ctx, int64(len(due)))
		}
	}
	for _, i := range renew {
		if err := fn.modifyDeadline(ctx, keep[i].AckIDs, ackExtension); err != nil {
			fn.warnf(ctx, "extending the ack deadline of %d held message(s), which may be redelivered: %v", len(keep[i].AckIDs), err)
			continue
		}
		keep[i].DeadlineMs = nowMs + ackExtension.Milliseconds()
	}
	return keep
}

// nextDue returns how long until the earliest held batch is due, or needs
// its deadline extended.
func (fn *readFn) nextDue(held []heldBatch, now time.Time) time.Duration {
	nowMs := now.UnixMilli()
	next := int64(-1)
	for _, b := range held {
		at := min(b.EmittedMs+fn.AckDelayMs, b.DeadlineMs-renewMargin.Milliseconds())
		if next < 0 || at < next {
			next = at
		}
	}
	return time.Duration(max(next-nowMs, 0)) * time.Millisecond
}

func (fn *readFn) ack(ctx context.Context, ids []string) error {
	return chunked(ids, func(part []string) error {
		ctx, cancel := context.WithTimeout(ctx, rpcTimeout)
		defer cancel()
		return fn.sub.Acknowledge(ctx, &pubsubpb.AcknowledgeRequest{Subscription: fn.subName, AckIds: part})
	})
}

// modifyDeadline sets the ack deadline of ids to d from now; d == 0 hands
// the messages back for redelivery at once.
func (fn *readFn) modifyDeadline(ctx context.Context, ids []string, d time.Duration) error {
	return chunked(ids, func(part []string) error {
		ctx, cancel := context.WithTimeout(ctx, rpcTimeout)
		defer cancel()
		return fn.sub.ModifyAckDeadline(ctx, &pubsubpb.ModifyAckDeadlineRequest{
			Subscription: fn.subName, AckIds: part, AckDeadlineSeconds: int32(d / time.Second)})
	})
}

func chunked(ids []string, do func([]string) error) error {
	var errs []error
	for len(ids) > 0 {
		n := min(len(ids), ackChunk)
		if err := do(ids[:n]); err != nil {
			errs = append(errs, err)
		}
		ids = ids[n:]
	}
	return errors.Join(errs...)
}

// warnf logs a warning at most once a minute per DoFn instance: a failing
// acknowledgement would otherwise log at every resume.
func (fn *readFn) warnf(ctx context.Context, format string, args ...any) {
	if time.Since(fn.warned) < time.Minute {
		return
	}
	fn.warned = time.Now()
	log.Warnf(ctx, "pubsubio.Read %s: %s", fn.subName, fmt.Sprintf(format, args...))
}

// isPermanent reports whether a Pub/Sub error will not go away by itself
// (a missing subscription, a denied permission, a bad request), so that the
// read fails rather than retrying forever.
func isPermanent(err error) bool {
	switch status.Code(err) {
	case codes.NotFound, codes.PermissionDenied, codes.InvalidArgument, codes.Unauthenticated,
		codes.FailedPrecondition, codes.Unimplemented:
		return true
	}
	return false
}
