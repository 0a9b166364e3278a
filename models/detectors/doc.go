// Package detectors holds beamlens's online anomaly detectors: plain Go, no
// Beam import, so they are tested and benchmarked without a runner.
//
// A Detector scores one value of one series and then learns from it, in that
// order, so a point is never judged against a baseline that already contains
// it. Each verdict carries the score, the threshold it was compared with and
// the baseline it was judged against, which end up in the anomaly record.
package detectors
