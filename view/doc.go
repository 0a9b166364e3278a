// Package view is beamlens's live view: a small read-only web server that
// follows a pipeline's output streams (JSON Lines files as they grow, Kafka
// topics through franz-go's kgo with the pipelines' SASL/TLS settings, or
// Pub/Sub through the cloud.google.com/go/pubsub/v2 client) and shows them
// in the browser as they change - per-device metric lines with the window
// baseline band and the anomalies marked, on time and value axes, a table
// of the newest anomalies by event time across devices, and theme counts
// per window with the top themes and the trend alerts highlighted. A page
// with nothing to show says what the view follows and what is missing.
//
// The server keeps bounded state whatever the stream's size: totals are
// exact counters, while what is drawn is thinned by merging neighbouring
// points so that extremes survive (see series), and the tables keep the
// newest rows. The page is plain HTML, CSS and a small script embedded in
// the binary; the charts are drawn by uPlot (vendored from the npm registry
// under static/vendor/uplot, served from the view's own origin): no CDN, no
// build step, and a Content-Security-Policy of 'self'. Updates reach the
// page by server-sent events.
package view
