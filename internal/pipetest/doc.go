// Package pipetest holds the helpers the I/O transforms' tests share to run
// a streaming pipeline on prism in the background and watch what reaches an
// external system (Kafka, Pub/Sub) while it runs.
package pipetest
