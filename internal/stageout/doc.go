// Package stageout gives the last step of a sink an output that leaves its
// stage, so that prism waits for the sink's bundles instead of polling in a
// busy loop (see Discard).
package stageout
