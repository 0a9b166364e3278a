package fused

import (
	"github.com/beamlens/beamlens/models/events"
	"github.com/beamlens/beamlens/transforms/detect"
	"github.com/beamlens/beamlens/transforms/windowstats"
)

// Options configures the fused stage. The zero value decodes and emits
// dead letters only.
type Options struct {
	// Decode says where a record's fields are and how its timestamps and
	// framing read (events.DecodeOptions; plain values, carried into the
	// job graph). Default beamlens's own record shape.
	Decode events.DecodeOptions
	// Detect names the detectors; the stage runs the stateless ones
	// (detect.SplitStateless) on every reading it decodes and leaves the
	// learned ones to detect.ScoreBatches. Default: no detector.
	Detect *detect.Options
	// Partials makes the stage pre-aggregate window statistics and emit
	// one partial per (device, metric, block of windows) and chunk, for
	// windowstats.MergePartials (bounded inputs). Default false.
	Partials bool
	// Window shapes the partials' windows. Default windowstats' defaults.
	Window windowstats.Options
	// Batches makes the stage emit each chunk's readings of each device as
	// one KV<device, batch> (detect.EncodeBatch's format), for the learned
	// detectors and windowstats.PerDevice. Default false.
	Batches bool
	// FileBatches makes Files emit its batches in the file layout
	// (detect.FileBatch): without the readings' raw bytes, which
	// RestoreRaw reads back for the anomalies. For the bounded learned
	// scorer, whose GroupByKey holds every batch at once. Only for
	// consumers that need no Raw but an anomaly's (not the model scorer,
	// whose dead letters carry readings). Default false.
	FileBatches bool
	// RangeBytes is the size of the byte ranges Files splits a file into.
	// Default jsonl.DefaultRangeBytes.
	RangeBytes int64
}
