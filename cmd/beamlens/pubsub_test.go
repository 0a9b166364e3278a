package main

import (
	"bytes"
	"github.com/beamlens/beamlens/internal/brokertest"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestPubSubUsageErrors(t *testing.T) {
	const sub, topic = "pubsub://projects/p/subscriptions/readings", "pubsub://projects/p/topics/anomalies"
	dir := t.TempDir()
	cases := []struct {
		args []string
		code int
		msg  string
	}{
		{[]string{"anomalies", "--input=" + topic, "--output=-"}, 1, "a Pub/Sub input is a subscription"},
		{[]string{"anomalies", "--input=" + sub, "--output=" + sub}, 2, "a Pub/Sub output is a topic"},
		{[]string{"anomalies", "--input=" + sub, "--output=pubsub://projects/p/topics/x"}, 2, "not a valid Pub/Sub ID"},
		{[]string{"anomalies", "--input=" + sub, "--output=" + topic, "--dead-letter=dead/letters"}, 2, "--dead-letter"},
		{[]string{"anomalies", "--input=" + sub, "--output=" + dir}, 2, "needs an input that ends"},
		{[]string{"themes", "--input=" + topic, "--output=-", "--llm=offline"}, 1, "a Pub/Sub input is a subscription"},
	}
	for _, c := range cases {
		code, _, stderr := runCLI(t, c.args...)
		if code != c.code || !strings.Contains(stderr, c.msg) {
			t.Errorf("%v: exit %d, stderr %q; want exit %d and %q", c.args, code, stderr, c.code, c.msg)
		}
	}
	_, _, stderr := runCLI(t, "themes", "--help")
	for _, s := range []string{"pubsub://projects/P/subscriptions/S", "pubsub://projects/P/topics/T", "T.<stream>", "T.dlq", "idle for 5s"} {
		if !strings.Contains(stderr, s) {
			t.Errorf("themes --help does not mention %s", s)
		}
	}
}

// pubsubFake starts an in-process Pub/Sub (brokertest.NewPubSub), with a
// subscription "<topic>-sub" on each topic.
func pubsubFake(t *testing.T, topics ...string) *brokertest.PubSub {
	t.Helper()
	f := brokertest.NewPubSub(t)
	for _, topic := range topics {
		f.TopicWithSubscription(t, topic, topic+"-sub")
	}
	return f
}

// publishFile publishes each line of path to topic and returns how many.
func publishFile(t *testing.T, f *brokertest.PubSub, topic, path string) int {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	lines := bytes.Split(bytes.TrimSuffix(b, []byte("\n")), []byte("\n"))
	f.PublishAll(t, topic, lines)
	return len(lines)
}

// pulled counts the messages waiting on "<topic>-sub", acknowledging them.
func pulled(t *testing.T, f *brokertest.PubSub, topic string) int {
	t.Helper()
	return len(f.PullAll(t, topic+"-sub"))
}

// Both commands read a subscription and write every stream to its topic:
// the main one to T, the others to T.<stream>, dead letters to T.dlq; with
// --bounded they end once the subscription is idle.
func TestPubSubCommands(t *testing.T) {
	dir := t.TempDir()
	t.Run("anomalies", func(t *testing.T) {
		f := pubsubFake(t, "sensor_data", "sensor_anomalies", "sensor_anomalies.window_stats", "sensor_anomalies.dlq")
		in := filepath.Join(dir, "sensors.jsonl")
		if code, _, stderr := runCLI(t, "gen", "sensors", "--n=600", "--seed=3", "--out="+in); code != 0 {
			t.Fatal(stderr)
		}
		n := publishFile(t, f, "sensor_data", in)
		code, stdout, stderr := runCLI(t, "anomalies", "--input=pubsub://projects/beamlens-test/subscriptions/sensor_data-sub",
			"--output=pubsub://projects/beamlens-test/topics/sensor_anomalies", "--bounded")
		if code != 0 {
			t.Fatalf("exit %d\nstdout %s\nstderr %s", code, stdout, stderr)
		}
		anomalies, stats, dead := pulled(t, f, "sensor_anomalies"), pulled(t, f, "sensor_anomalies.window_stats"), pulled(t, f, "sensor_anomalies.dlq")
		if anomalies == 0 || stats == 0 || dead == 0 || dead >= n {
			t.Errorf("%d readings gave %d anomalies, %d window stats, %d dead letters", n, anomalies, stats, dead)
		}
	})
	t.Run("themes", func(t *testing.T) {
		f := pubsubFake(t, "product_reviews", "reviews_out", "reviews_out.theme_counts", "reviews_out.theme_alerts", "reviews_out.dlq")
		in := filepath.Join(dir, "reviews.jsonl")
		if code, _, stderr := runCLI(t, "gen", "reviews", "--n=300", "--seed=3", "--out="+in); code != 0 {
			t.Fatal(stderr)
		}
		n := publishFile(t, f, "product_reviews", in)
		code, stdout, stderr := runCLI(t, "themes", "--input=pubsub://projects/beamlens-test/subscriptions/product_reviews-sub",
			"--output=pubsub://projects/beamlens-test/topics/reviews_out", "--bounded", "--llm=offline")
		if code != 0 {
			t.Fatalf("exit %d\nstdout %s\nstderr %s", code, stdout, stderr)
		}
		reviews, counts, dead := pulled(t, f, "reviews_out"), pulled(t, f, "reviews_out.theme_counts"), pulled(t, f, "reviews_out.dlq")
		if reviews+dead != n || reviews == 0 || counts == 0 {
			t.Errorf("%d reviews gave %d with themes, %d dead letters, %d theme counts", n, reviews, dead, counts)
		}
	})
}
