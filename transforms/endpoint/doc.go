// Package endpoint parses the input and output URIs of the command line -
// JSON Lines paths and globs, "-" for stdout, kafka://HOST:PORT/TOPIC,
// pubsub://projects/P/subscriptions/S and pubsub://projects/P/topics/T - and
// wires them to the transform that reads or writes them, so that the
// pipelines stay wiring only and share one notion of where records live.
package endpoint
