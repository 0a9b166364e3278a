// Package themes turns reviews into themes and themes into trends:
// Extract sends reviews to a theme extractor (an LLM or the offline model) in
// batches, Count counts each theme per event-time window with a keyed
// combiner (bounded inputs), CountStream does so on a stream without losing a
// late review (windowstats.PerDevice keyed by theme: late panes and dead
// letters), Top ranks the themes of each window, and Trending raises an alert
// when a theme's count in a window is far above its recent baseline.
//
// Trending is built from windowing alone - no state, no timers - so it runs
// the same on prism, the direct runner and Flink, in batch and streaming: each
// window's count is also sent forward, as history, to the next Lookback
// windows, and a CoGroupByKey meets every window's count with the counts of
// the windows before it.
package themes
