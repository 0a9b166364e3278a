package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/valyala/fastjson"
)

// commands are topictool's subcommands and what each does.
var commands = []struct{ name, summary string }{
	{"produce", "write a JSON Lines --file to --topic, a record per line (--chunk, --pause to spread it out; --partition to pick one, --key-field to key by a field)"},
	{"dump", "print every record of --topic, one per line, until it is idle"},
	{"pace", "produce synthetic readings to --topic at --rate per second for --duration"},
	{"latency", "report end-to-end latency of records read back from --topic"},
	{"await", "wait until --topic holds at least --count records (its end offsets, polled every 20 ms), then print the seconds waited"},
}

func usage() {
	fmt.Fprintln(os.Stderr, "topictool - the Kafka helper of the end-to-end scripts\n\nUsage: topictool COMMAND [flags]\n\nCommands:")
	for _, c := range commands {
		fmt.Fprintf(os.Stderr, "  %-8s %s\n", c.name, c.summary)
	}
	fmt.Fprintln(os.Stderr, "\nRun 'topictool COMMAND --help' for a command's flags.")
}

func main() {
	if len(os.Args) < 2 {
		usage()
		os.Exit(2)
	}
	switch os.Args[1] {
	case "-h", "-help", "--help", "help":
		usage()
		return
	}
	known := false
	for _, c := range commands {
		known = known || c.name == os.Args[1]
	}
	if !known {
		fmt.Fprintf(os.Stderr, "topictool: unknown command %q\n\n", os.Args[1])
		usage()
		os.Exit(2)
	}
	fs := flag.NewFlagSet("topictool "+os.Args[1], flag.ExitOnError)
	brokers := fs.String("brokers", "127.0.0.1:9092", "bootstrap brokers, comma separated")
	topic := fs.String("topic", "", "topic")
	file := fs.String("file", "", "produce: JSON Lines file")
	chunk := fs.Int("chunk", 0, "produce: records per chunk (0: all at once)")
	pause := fs.Duration("pause", 0, "produce: pause between chunks")
	partition := fs.Int("partition", -1, "produce: write every record to this partition (-1: the client's default partitioner)")
	keyField := fs.String("key-field", "", "produce: key each record by this top-level JSON field (as a producer keyed by device does: one device's records stay in one partition, in order); a line without it gets no key")
	rate := fs.Int("rate", 5000, "pace: readings per second")
	duration := fs.Duration("duration", 20*time.Second, "pace: how long to produce")
	count := fs.Int64("count", 0, "await: records to wait for")
	fs.Parse(os.Args[2:])
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	opts := []kgo.Opt{kgo.SeedBrokers(strings.Split(*brokers, ",")...), kgo.AllowAutoTopicCreation()}
	if *partition >= 0 {
		// A stream out of order across partitions (each in order): what a
		// producer keyed by something other than the device gives.
		opts = append(opts, kgo.RecordPartitioner(kgo.ManualPartitioner()))
	}
	cl, err := kgo.NewClient(opts...)
	if err != nil {
		fail(err)
	}
	defer cl.Close()
	switch os.Args[1] {
	case "produce":
		err = produce(ctx, cl, *topic, *file, *chunk, *pause, int32(*partition), *keyField)
	case "dump":
		err = dump(ctx, cl, *topic, nil)
	case "pace":
		err = pace(ctx, cl, *topic, *rate, *duration)
	case "latency":
		err = latency(ctx, cl, *topic)
	case "await":
		err = await(ctx, cl, *topic, *count)
	default:
		err = fmt.Errorf("unknown command %q", os.Args[1])
	}
	if err != nil {
		fail(err)
	}
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "topictool:", err)
	os.Exit(1)
}

func produce(ctx context.Context, cl *kgo.Client, topic, file string, chunk int, pause time.Duration, partition int32, keyField string) error {
	f, err := os.Open(file)
	if err != nil {
		return err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 16<<20)
	var parser fastjson.Parser
	n := 0
	for sc.Scan() {
		v := append([]byte(nil), sc.Bytes()...)
		var key []byte
		if keyField != "" {
			if jv, perr := parser.ParseBytes(v); perr == nil {
				if k := jv.GetStringBytes(keyField); k != nil {
					key = append([]byte(nil), k...)
				}
			}
		}
		cl.Produce(ctx, &kgo.Record{Topic: topic, Key: key, Value: v, Partition: partition}, func(_ *kgo.Record, perr error) {
			if perr != nil && err == nil {
				err = perr
			}
		})
		n++
		if chunk > 0 && n%chunk == 0 {
			if ferr := cl.Flush(ctx); ferr != nil {
				return ferr
			}
			time.Sleep(pause)
		}
	}
	if ferr := cl.Flush(ctx); ferr != nil {
		return ferr
	}
	if err != nil {
		return err
	}
	fmt.Fprintf(os.Stderr, "topictool: produced %d records to %s\n", n, topic)
	return sc.Err()
}

// dump prints every record up to the end offsets of now, or hands it to
// each when set.
func dump(ctx context.Context, cl *kgo.Client, topic string, each func(*kgo.Record)) error {
	adm := kadm.NewClient(cl)
	ends, err := adm.ListEndOffsets(ctx, topic)
	if err != nil {
		return err
	}
	if err := ends.Error(); err != nil {
		if errors.Is(err, kadm.ErrEmpty) {
			return nil
		}
		return err
	}
	want := map[int32]int64{}
	offsets := map[string]map[int32]kgo.Offset{topic: {}}
	ends.Each(func(o kadm.ListedOffset) {
		if o.Offset > 0 {
			want[o.Partition] = o.Offset
			offsets[topic][o.Partition] = kgo.NewOffset().AtStart()
		}
	})
	if len(want) == 0 {
		return nil
	}
	cl.AddConsumePartitions(offsets)
	w := bufio.NewWriter(os.Stdout)
	defer w.Flush()
	for len(want) > 0 {
		fetches := cl.PollFetches(ctx)
		if err := fetches.Err0(); err != nil {
			return err
		}
		fetches.EachRecord(func(r *kgo.Record) {
			end, ok := want[r.Partition]
			if !ok || r.Offset >= end {
				return
			}
			if each != nil {
				each(r)
			} else {
				w.Write(r.Value)
				w.WriteByte('\n')
			}
			if r.Offset+1 >= end {
				delete(want, r.Partition)
			}
		})
	}
	return nil
}
