// Package view is beamlens's live view: a small read-only web server that
// follows a pipeline's output streams (JSON Lines files as they grow, or
// Kafka topics through franz-go's kgo) and shows them in the browser as they
// change - per-device metric lines with the window baseline band and the
// anomalies marked, a table of recent anomalies, and theme counts per window
// with the top themes and the trend alerts highlighted.
//
// The server keeps bounded state whatever the stream's size: totals are
// exact counters, while what is drawn is thinned by merging neighbouring
// points so that extremes survive (see series), and the tables keep the
// newest rows. The page is plain HTML, CSS and a small canvas chart script
// embedded in the binary: no CDN, no build step. Updates reach the page by
// server-sent events.
package view
