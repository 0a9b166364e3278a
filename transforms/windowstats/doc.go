// Package windowstats computes per-key statistics over event-time windows
// with keyed combiners: count, mean, variance, min, max and approximate
// quantiles of each metric of each device, over fixed or sliding windows.
//
// The accumulator is mergeable, so Beam can combine partial results on each
// worker before the shuffle (combiner lifting) and merge them after: a window
// costs one accumulator per key, not a buffer of its elements. Mean and
// variance use Welford's update and Chan et al.'s parallel merge, which stay
// numerically stable where the textbook sum of squares cancels. Quantiles come
// from DataDog's DDSketch (github.com/DataDog/sketches-go): mergeable, with a
// relative-accuracy guarantee and a bounded number of bins.
package windowstats
