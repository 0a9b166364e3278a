// Package pipetest holds what the tests of sources and pipelines share to
// run a streaming pipeline on prism in the background and watch it while
// it runs: RunAsync, WaitRunning and Stop; a Sink per test run that gathers
// what the pipeline emits (in-process workers); CountPerWindow to see
// event-time windows fire; and Serialised/Holds to look into the pipeline
// proto a runner receives. Brokers for those tests are in brokertest.
package pipetest
