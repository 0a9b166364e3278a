package main

import (
	"bufio"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"cloud.google.com/go/pubsub/v2"
	"cloud.google.com/go/pubsub/v2/apiv1/pubsubpb"
	"cloud.google.com/go/pubsub/v2/pstest"
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

// pubsubFake starts an in-process Pub/Sub, reached through
// PUBSUB_EMULATOR_HOST as an emulator is, with a subscription "<topic>-sub"
// on each topic.
func pubsubFake(t *testing.T, topics ...string) (*pstest.Server, *pubsub.Client) {
	t.Helper()
	srv := pstest.NewServer()
	t.Cleanup(func() { srv.Close() })
	t.Setenv("PUBSUB_EMULATOR_HOST", srv.Addr)
	ctx := context.Background()
	c, err := pubsub.NewClient(ctx, "p")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	for _, topic := range topics {
		if _, err := c.TopicAdminClient.CreateTopic(ctx, &pubsubpb.Topic{Name: "projects/p/topics/" + topic}); err != nil {
			t.Fatal(err)
		}
		if _, err := c.SubscriptionAdminClient.CreateSubscription(ctx, &pubsubpb.Subscription{
			Name: "projects/p/subscriptions/" + topic + "-sub", Topic: "projects/p/topics/" + topic}); err != nil {
			t.Fatal(err)
		}
	}
	return srv, c
}

// publishFile publishes each line of path to topic and returns how many.
func publishFile(t *testing.T, srv *pstest.Server, topic, path string) int {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	n := 0
	for sc.Scan() {
		srv.Publish("projects/p/topics/"+topic, append([]byte(nil), sc.Bytes()...), nil)
		n++
	}
	return n
}

// pulled counts the messages waiting on "<topic>-sub", acknowledging them.
func pulled(t *testing.T, c *pubsub.Client, topic string) int {
	t.Helper()
	ctx := context.Background()
	name := "projects/p/subscriptions/" + topic + "-sub"
	n := 0
	for empty := 0; empty < 2; {
		resp, err := c.SubscriptionAdminClient.Pull(ctx, &pubsubpb.PullRequest{Subscription: name, MaxMessages: 1000})
		if err != nil {
			t.Fatal(err)
		}
		if len(resp.ReceivedMessages) == 0 {
			empty++
			continue
		}
		var ids []string
		for _, m := range resp.ReceivedMessages {
			ids = append(ids, m.AckId)
		}
		n += len(ids)
		if err := c.SubscriptionAdminClient.Acknowledge(ctx, &pubsubpb.AcknowledgeRequest{Subscription: name, AckIds: ids}); err != nil {
			t.Fatal(err)
		}
	}
	return n
}

// Both commands read a subscription and write every stream to its topic:
// the main one to T, the others to T.<stream>, dead letters to T.dlq; with
// --bounded they end once the subscription is idle.
func TestPubSubCommands(t *testing.T) {
	dir := t.TempDir()
	t.Run("anomalies", func(t *testing.T) {
		srv, c := pubsubFake(t, "sensor_data", "sensor_anomalies", "sensor_anomalies.window_stats", "sensor_anomalies.dlq")
		in := filepath.Join(dir, "sensors.jsonl")
		if code, _, stderr := runCLI(t, "gen", "sensors", "--n=600", "--seed=3", "--out="+in); code != 0 {
			t.Fatal(stderr)
		}
		n := publishFile(t, srv, "sensor_data", in)
		code, stdout, stderr := runCLI(t, "anomalies", "--input=pubsub://projects/p/subscriptions/sensor_data-sub",
			"--output=pubsub://projects/p/topics/sensor_anomalies", "--bounded")
		if code != 0 {
			t.Fatalf("exit %d\nstdout %s\nstderr %s", code, stdout, stderr)
		}
		anomalies, stats, dead := pulled(t, c, "sensor_anomalies"), pulled(t, c, "sensor_anomalies.window_stats"), pulled(t, c, "sensor_anomalies.dlq")
		if anomalies == 0 || stats == 0 || dead == 0 || dead >= n {
			t.Errorf("%d readings gave %d anomalies, %d window stats, %d dead letters", n, anomalies, stats, dead)
		}
	})
	t.Run("themes", func(t *testing.T) {
		srv, c := pubsubFake(t, "product_reviews", "reviews_out", "reviews_out.theme_counts", "reviews_out.theme_alerts", "reviews_out.dlq")
		in := filepath.Join(dir, "reviews.jsonl")
		if code, _, stderr := runCLI(t, "gen", "reviews", "--n=300", "--seed=3", "--out="+in); code != 0 {
			t.Fatal(stderr)
		}
		n := publishFile(t, srv, "product_reviews", in)
		code, stdout, stderr := runCLI(t, "themes", "--input=pubsub://projects/p/subscriptions/product_reviews-sub",
			"--output=pubsub://projects/p/topics/reviews_out", "--bounded", "--llm=offline")
		if code != 0 {
			t.Fatalf("exit %d\nstdout %s\nstderr %s", code, stdout, stderr)
		}
		reviews, counts, dead := pulled(t, c, "reviews_out"), pulled(t, c, "reviews_out.theme_counts"), pulled(t, c, "reviews_out.dlq")
		if reviews+dead != n || reviews == 0 || counts == 0 {
			t.Errorf("%d reviews gave %d with themes, %d dead letters, %d theme counts", n, reviews, dead, counts)
		}
	})
}
