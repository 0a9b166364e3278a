package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"strings"
	"time"

	"cloud.google.com/go/pubsub/v2"
	"cloud.google.com/go/pubsub/v2/apiv1/pubsubpb"
	"cloud.google.com/go/pubsub/v2/pstest"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

const usage = `usage:
  pubsubtool serve   [--addr=127.0.0.1:8085]
  pubsubtool create  --project=P --topic=T[,T2...] [--subscription=S]   (S on the first topic; default: T-sub for each)
  pubsubtool publish --project=P --topic=T --file=FILE.jsonl
  pubsubtool pull    --project=P --subscription=S [--idle=2s]`

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, usage)
		os.Exit(2)
	}
	switch os.Args[1] {
	case "-h", "-help", "--help", "help":
		fmt.Fprintln(os.Stderr, usage)
		return
	case "serve", "create", "publish", "pull":
	default:
		fmt.Fprintf(os.Stderr, "pubsubtool: unknown command %q\n%s\n", os.Args[1], usage)
		os.Exit(2)
	}
	fs := flag.NewFlagSet("pubsubtool "+os.Args[1], flag.ExitOnError)
	addr := fs.String("addr", "127.0.0.1:8085", "serve: address to listen on")
	project := fs.String("project", "demo", "Google Cloud project ID")
	topic := fs.String("topic", "", "topic ID (create: comma separated)")
	sub := fs.String("subscription", "", "subscription ID")
	file := fs.String("file", "", "publish: JSON Lines file")
	idle := fs.Duration("idle", 2*time.Second, "pull: stop once nothing arrived for this long")
	fs.Parse(os.Args[2:])
	ctx, cancel := signal.NotifyContext(context.Background(), os.Interrupt)
	defer cancel()
	if os.Args[1] == "serve" {
		serve(ctx, *addr)
		return
	}
	c, err := pubsub.NewClient(ctx, *project)
	if err != nil {
		fail(err)
	}
	defer c.Close()
	switch os.Args[1] {
	case "create":
		err = create(ctx, c, *project, strings.Split(*topic, ","), *sub)
	case "publish":
		err = publish(ctx, c, *topic, *file)
	case "pull":
		err = pull(ctx, c, "projects/"+*project+"/subscriptions/"+*sub, *idle)
	default:
		err = fmt.Errorf("unknown command %q\n%s", os.Args[1], usage)
	}
	if err != nil {
		fail(err)
	}
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "pubsubtool:", err)
	os.Exit(1)
}

// serve runs a Pub/Sub fake on addr until interrupted. It keeps everything
// in memory: messages published to a topic without subscriptions are
// dropped, as Pub/Sub does.
func serve(ctx context.Context, addr string) {
	srv := pstest.NewServerWithAddress(addr)
	defer srv.Close()
	fmt.Printf("PUBSUB_EMULATOR_HOST=%s\n", srv.Addr)
	<-ctx.Done()
}

// create makes each topic and a subscription on it (sub for the first
// topic when given, else TOPIC-sub), leaving those that exist alone.
func create(ctx context.Context, c *pubsub.Client, project string, topics []string, sub string) error {
	for i, t := range topics {
		if t == "" {
			return errors.New("create: no --topic")
		}
		name := "projects/" + project + "/topics/" + t
		if _, err := c.TopicAdminClient.CreateTopic(ctx, &pubsubpb.Topic{Name: name}); status.Code(err) != codes.AlreadyExists && err != nil {
			return fmt.Errorf("topic %s: %w", t, err)
		}
		s := t + "-sub"
		if i == 0 && sub != "" {
			s = sub
		}
		_, err := c.SubscriptionAdminClient.CreateSubscription(ctx, &pubsubpb.Subscription{
			Name: "projects/" + project + "/subscriptions/" + s, Topic: name, AckDeadlineSeconds: 60})
		if status.Code(err) != codes.AlreadyExists && err != nil {
			return fmt.Errorf("subscription %s: %w", s, err)
		}
		fmt.Printf("topic %s, subscription %s\n", t, s)
	}
	return nil
}

func publish(ctx context.Context, c *pubsub.Client, topic, file string) error {
	f, err := os.Open(file)
	if err != nil {
		return err
	}
	defer f.Close()
	pub := c.Publisher(topic)
	defer pub.Stop()
	var results []*pubsub.PublishResult
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		if len(sc.Bytes()) == 0 {
			continue
		}
		results = append(results, pub.Publish(ctx, &pubsub.Message{Data: append([]byte(nil), sc.Bytes()...)}))
	}
	if err := sc.Err(); err != nil {
		return err
	}
	for _, r := range results {
		if _, err := r.Get(ctx); err != nil {
			return err
		}
	}
	fmt.Fprintf(os.Stderr, "published %d messages to %s\n", len(results), topic)
	return nil
}

// pull prints the data of every message sub delivers, one per line, and
// acknowledges it, until nothing has arrived for idle.
func pull(ctx context.Context, c *pubsub.Client, sub string, idle time.Duration) error {
	n := 0
	for last := time.Now(); time.Since(last) < idle; {
		pctx, cancel := context.WithTimeout(ctx, time.Second)
		resp, err := c.SubscriptionAdminClient.Pull(pctx, &pubsubpb.PullRequest{Subscription: sub, MaxMessages: 1000})
		cancel()
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if status.Code(err) == codes.DeadlineExceeded || errors.Is(err, context.DeadlineExceeded) {
			continue
		}
		if err != nil {
			return err
		}
		var ids []string
		for _, m := range resp.ReceivedMessages {
			fmt.Printf("%s\n", m.Message.Data)
			ids = append(ids, m.AckId)
		}
		if len(ids) == 0 {
			continue
		}
		last, n = time.Now(), n+len(ids)
		if err := c.SubscriptionAdminClient.Acknowledge(ctx, &pubsubpb.AcknowledgeRequest{Subscription: sub, AckIds: ids}); err != nil {
			return err
		}
	}
	fmt.Fprintf(os.Stderr, "pulled %d messages from %s\n", n, sub)
	return nil
}
