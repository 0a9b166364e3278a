package pubsubio

import (
	"fmt"
	"github.com/beamlens/beamlens/internal/brokertest"
	"github.com/beamlens/beamlens/internal/pipetest"
	"sort"
	"strings"
	"testing"
	"time"

	"cloud.google.com/go/pubsub/v2/pstest"
	"github.com/apache/beam/sdks/v2/go/pkg/beam"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/testing/ptest"
	"google.golang.org/grpc/codes"
)

// lines returns n JSON records {"device_id":"d<i%3>","seq":<i>}, and as
// strings.
func lines(n int) (recs []any, strs []string) {
	for i := range n {
		s := fmt.Sprintf(`{"device_id":"d%d","seq":%d}`, i%3, i)
		recs = append(recs, []byte(s))
		strs = append(strs, s)
	}
	return recs, strs
}

func sorted(s []string) []string {
	s = append([]string(nil), s...)
	sort.Strings(s)
	return s
}

func sameStrings(t *testing.T, what string, got, want []string) {
	t.Helper()
	g, w := sorted(got), sorted(want)
	if strings.Join(g, "\n") != strings.Join(w, "\n") {
		t.Errorf("%s: got %d messages, want %d\n got %.300q\nwant %.300q", what, len(g), len(w), g, w)
	}
}

// Every element becomes one message, once, with the attributes and, with
// OrderingKeyField, the ordering key.
func TestWrite(t *testing.T) {
	f := brokertest.NewPubSub(t)
	f.TopicWithSubscription(t, "out", "out-sub")
	recs, want := lines(250)
	recs = append(recs, []byte(`not json`))
	want = append(want, `not json`)

	p, s := beam.NewPipelineWithRoot()
	Write(s, WriteOptions{Project: project, Topic: "out", OrderingKeyField: "device_id",
		Attributes: map[string]string{"source": "beamlens"}, BatchMessages: 50}, beam.Create(s, recs...))
	ptest.RunAndValidate(t, p)

	data, keys := pulled(t, f, "out-sub")
	sameStrings(t, "published", data, want)
	for i, d := range data {
		wantKey := ""
		if d != "not json" {
			var seq int
			fmt.Sscanf(d[strings.Index(d, `"seq":`)+6:], "%d", &seq)
			wantKey = fmt.Sprintf("d%d", seq%3)
		}
		if keys[i] != wantKey {
			t.Errorf("message %s: ordering key %q, want %q", d, keys[i], wantKey)
		}
	}
	for _, m := range f.Messages() {
		if m.Attributes["source"] != "beamlens" {
			t.Errorf("message %s: attributes %v", m.Data, m.Attributes)
			break
		}
	}
}

// A transient failure (Unavailable) is retried by the client library
// within the bundle: every message arrives, once.
func TestWriteRetriesTransientErrors(t *testing.T) {
	r := failFirst(codes.Unavailable, 2)
	f := brokertest.NewPubSub(t, pstest.ServerReactorOption{FuncName: "Publish", Reactor: r})
	f.TopicWithSubscription(t, "out", "out-sub")
	recs, want := lines(100)

	p, s := beam.NewPipelineWithRoot()
	Write(s, WriteOptions{Project: project, Topic: "out", BatchMessages: 10}, beam.Create(s, recs...))
	ptest.RunAndValidate(t, p)
	data, _ := pulled(t, f, "out-sub")
	sameStrings(t, "published", data, want)
	if r.Calls() < 3 {
		t.Errorf("%d publish calls: the injected failures were not met", r.Calls())
	}
}

// A permanent failure fails the bundle, and so the pipeline on prism (which
// retries no bundle): never a silent drop.
func TestWriteFailureFailsThePipeline(t *testing.T) {
	r := failFirst(codes.PermissionDenied, 1)
	f := brokertest.NewPubSub(t, pstest.ServerReactorOption{FuncName: "Publish", Reactor: r})
	f.TopicWithSubscription(t, "out", "out-sub")
	recs, _ := lines(20)

	p, s := beam.NewPipelineWithRoot()
	Write(s, WriteOptions{Project: project, Topic: "out", BatchMessages: 1000, BatchDelay: time.Second}, beam.Create(s, recs...))
	err := ptest.Run(p)
	if err == nil || !strings.Contains(err.Error(), "publish failed") || !strings.Contains(err.Error(), "PermissionDenied") {
		t.Fatalf("err %v, want the publish failure", err)
	}
}

// Read -> Write: when a publish fails, the bundle that read the messages
// fails with it, so they are not acknowledged; Pub/Sub redelivers them and
// the next run publishes every one of them. Nothing is lost.
func TestWriteFailureLosesNothing(t *testing.T) {
	r := failFirst(codes.PermissionDenied, 0)
	f := brokertest.NewPubSub(t, pstest.ServerReactorOption{FuncName: "Publish", Reactor: r})
	f.TopicWithSubscription(t, "in", "in-sub")
	f.TopicWithSubscription(t, "out", "out-sub")
	ids := f.PublishReadings(t, "in", 0, 40)
	r.Arm(1) // the pipeline's first publish fails, not the test's
	var want []string
	for _, id := range ids {
		want = append(want, string(f.Message(id).Data))
	}

	copyOnce := func() error {
		p, s := beam.NewPipelineWithRoot()
		raws := Read(s, ReadOptions{Project: project, Subscription: "in-sub", MaxMessages: 40})
		Write(s, WriteOptions{Project: project, Topic: "out"}, beam.ParDo(s, pipetest.RawBytes, raws))
		return ptest.Run(p)
	}
	if err := copyOnce(); err == nil {
		t.Fatal("the first run succeeded despite the failed publish")
	}
	if _, acks := f.Acks(); acks[ids[0]] != 0 {
		t.Fatalf("a message whose copy failed was acknowledged")
	}
	f.Advance(2 * time.Minute) // the failed run's leases run out
	if err := copyOnce(); err != nil {
		t.Fatal(err)
	}
	data, _ := pulled(t, f, "out-sub")
	// The first run may have published some messages before it failed: at
	// least once means every message, possibly more than once.
	got := map[string]bool{}
	for _, d := range data {
		got[d] = true
	}
	for _, w := range want {
		if !got[w] {
			t.Errorf("message %s was lost", w)
		}
	}
	if !f.AllAckedOnce(ids) {
		t.Error("not every input message was acknowledged after the second run")
	}
}

// CreateTopic creates a missing topic; without it a missing topic fails.
func TestWriteTopicCreation(t *testing.T) {
	f := brokertest.NewPubSub(t)
	recs, want := lines(5)

	p, s := beam.NewPipelineWithRoot()
	Write(s, WriteOptions{Project: project, Topic: "missing"}, beam.Create(s, recs...))
	if err := ptest.Run(p); err == nil || !strings.Contains(err.Error(), "NotFound") {
		t.Fatalf("writing to a missing topic: err %v, want NotFound", err)
	}

	// Pub/Sub keeps messages only for subscriptions that exist when they
	// are published: subscribe to the topic CreateTopic will find.
	f.TopicWithSubscription(t, "created", "created-sub")
	p, s = beam.NewPipelineWithRoot()
	Write(s, WriteOptions{Project: project, Topic: "fresh", CreateTopic: true}, beam.Create(s, recs...))
	Write(s, WriteOptions{Project: project, Topic: "created", CreateTopic: true}, beam.Create(s, recs...))
	ptest.RunAndValidate(t, p)
	data, _ := pulled(t, f, "created-sub")
	sameStrings(t, "published to an existing topic with CreateTopic", data, want)
	var fresh int
	for _, m := range f.Messages() {
		if m.Topic == topicName(project, "fresh") {
			fresh++
		}
	}
	if fresh != len(want) {
		t.Errorf("%d messages published to the created topic, want %d", fresh, len(want))
	}
}
