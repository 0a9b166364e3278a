// Command pubsubtool is a small Pub/Sub companion for trying beamlens
// against Pub/Sub without gcloud: "serve" runs an in-process Pub/Sub fake
// (the client library's pstest) on a local port, an emulator stand-in;
// "create" makes topics and subscriptions, "publish" publishes a JSON Lines
// file, one message per line, and "pull" prints and acknowledges what a
// subscription holds. Every command but serve talks to PUBSUB_EMULATOR_HOST
// when it is set, to real Pub/Sub (Application Default Credentials)
// otherwise.
package main
