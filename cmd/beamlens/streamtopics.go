package main

import (
	"flag"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/beamlens/beamlens/transforms/endpoint"
	"github.com/beamlens/beamlens/transforms/kafkaio"
	"github.com/beamlens/beamlens/transforms/pubsubio"
)

// bindStreamTopics adds a --STREAM-topic flag (e.g. --window-stats-topic)
// for each side stream of a pipeline, whose topic on a Kafka or Pub/Sub
// output is otherwise derived from the output topic: <output>.<stream>.
// article maps a stream to the topic the seed article used for it, named
// in the help so that a user who wants it knows to pass it.
func (f *ioFlags) bindStreamTopics(fs *flag.FlagSet, article map[string]string) {
	f.streamTopics = map[string]*string{}
	for _, stream := range slices.Sorted(maps.Keys(article)) {
		help := fmt.Sprintf("kafka:// or pubsub:// output: topic of the %s stream (default <output topic>.%s", stream, stream)
		if a := article[stream]; a != "" {
			help += "; the article's was " + a
		}
		f.streamTopics[stream] = fs.String(streamTopicFlag(stream), "", help+")")
	}
}

func streamTopicFlag(stream string) string { return strings.ReplaceAll(stream, "_", "-") + "-topic" }

// checkStreamTopics refuses a --STREAM-topic given with an output that has
// no topics, or naming a topic the output's transport would refuse.
func (f *ioFlags) checkStreamTopics(out endpoint.URI) error {
	for _, stream := range slices.Sorted(maps.Keys(f.streamTopics)) {
		topic := *f.streamTopics[stream]
		if topic == "" {
			continue
		}
		var err error
		switch out.Kind {
		case endpoint.Kafka:
			err = kafkaio.ValidTopicName(topic)
		case endpoint.PubSub:
			err = pubsubio.CheckID(topic)
		default:
			err = fmt.Errorf("needs a kafka:// or pubsub:// output")
		}
		if err != nil {
			return usagef("--%s: %v", streamTopicFlag(stream), err)
		}
	}
	return nil
}

// routeStreams names the Kafka or Pub/Sub topic of each output stream: the
// main stream goes to the output URI's topic T; each side stream to its
// --STREAM-topic, else to T.<stream> (URI.StreamTopic's rule), so that two
// jobs with different outputs never mix their statistics; dead letters to
// --dead-letter, else, from a Kafka input to a Kafka output, to the input
// topic's .dlq (where a producer looks for its rejects), else to T.dlq.
func (f *ioFlags) routeStreams(in endpoint.URI, out *endpoint.URI, main, dead string) {
	if out.Kind != endpoint.Kafka && out.Kind != endpoint.PubSub {
		return
	}
	out.StreamTopics = map[string]string{main: out.Topic}
	for stream, topic := range f.streamTopics {
		if *topic != "" {
			out.StreamTopics[stream] = *topic
		}
	}
	switch {
	case f.deadLetter != "":
		out.StreamTopics[dead] = f.deadLetter
	case in.Kind == endpoint.Kafka && out.Kind == endpoint.Kafka:
		out.StreamTopics[dead] = in.Topic + ".dlq"
	default:
		out.StreamTopics[dead] = out.Topic + ".dlq"
	}
}
