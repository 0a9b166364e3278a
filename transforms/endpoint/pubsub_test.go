package endpoint

import (
	"errors"
	"strings"
	"testing"
)

func TestPubSubURIs(t *testing.T) {
	sub, err := Parse("pubsub://projects/p/subscriptions/sensor_data-sub")
	if err != nil {
		t.Fatal(err)
	}
	topic, err := Parse("pubsub://projects/p/topics/sensor_anomalies")
	if err != nil {
		t.Fatal(err)
	}
	if err := CheckInput(sub); err != nil {
		t.Errorf("subscription input: %v", err)
	}
	if err := CheckOutput(topic); err != nil {
		t.Errorf("topic output: %v", err)
	}
	for _, c := range []struct {
		err  error
		want string
	}{
		{CheckInput(topic), "a Pub/Sub input is a subscription"},
		{CheckOutput(sub), "a Pub/Sub output is a topic"},
		{CheckOutput(URI{Kind: PubSub, Project: "p", Topic: "x"}), "not a valid Pub/Sub ID"},
	} {
		if c.err == nil || !errors.Is(c.err, ErrBadURI) || !strings.Contains(c.err.Error(), c.want) {
			t.Errorf("err %v, want ErrBadURI and %q", c.err, c.want)
		}
	}
	if sub.Bounded() {
		t.Error("a Pub/Sub read is bounded without --bounded")
	}
	sub.PubSub.Bounded = true
	if !sub.Bounded() {
		t.Error("a bounded Pub/Sub read does not end")
	}
	if err := CheckPair(sub, URI{Kind: File, Path: "out"}); err != nil {
		t.Errorf("a bounded Pub/Sub read into a directory: %v", err)
	}
	topic.StreamTopics = map[string]string{"anomalies": "sensor_anomalies", "deadletters": "sensor_anomalies.dlq"}
	for stream, want := range map[string]string{"anomalies": "sensor_anomalies", "window_stats": "sensor_anomalies.window_stats", "deadletters": "sensor_anomalies.dlq"} {
		if got := topic.StreamTopic(stream); got != want {
			t.Errorf("stream %s goes to %s, want %s", stream, got, want)
		}
	}
}
