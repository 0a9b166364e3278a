// Package devicebatch gathers a bundle's elements per device, for the DoFns
// that ship readings to a step keyed by device (transforms/detect's
// streaming scorer, transforms/dedup): one KV<device, batch> per device and
// bundle, so the keyed step touches its state once per device per bundle,
// never once per reading.
package devicebatch
