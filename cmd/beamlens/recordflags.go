package main

import (
	"flag"
	"time"

	"github.com/beamlens/beamlens/models/events"
	"github.com/beamlens/beamlens/transforms/dedup"
)

// recordFlags say what the input records look like: where their fields
// are, how their timestamps are written, how Kafka values are framed.
// Both pipelines share them; each adds its own fields.
type recordFlags struct {
	timestampField, timestampUnit, timestampFormat, timezone string
	registry                                                 events.SchemaRegistry
	// anomalies only
	deviceField, metrics string
	dedupKey             string
	dedupWindow          time.Duration
	// themes only
	review events.ReviewFields
}

func (f *recordFlags) bindCommon(fs *flag.FlagSet) {
	fs.StringVar(&f.timestampField, "timestamp-field", "timestamp", "the field holding the event time: a dotted `PATH` into nested objects (state.reported.ts; write a dot that is part of a key as \\.)")
	fs.StringVar(&f.timestampUnit, "timestamp-unit", "auto", "unit of numeric timestamps: s, ms, us, ns, or auto (per record by magnitude: ~10 digits are seconds, 13 milliseconds, 16 microseconds, 19 nanoseconds; decimals allowed)")
	fs.StringVar(&f.timestampFormat, "timestamp-format", "", "Go time `LAYOUT` of text timestamps that are not RFC 3339, e.g. \"2006-01-02 15:04:05\" (RFC 3339 in any case, with T or a space, is always read)")
	fs.StringVar(&f.timezone, "timezone", "", "IANA time zone `NAME` (Europe/Berlin, UTC) of text timestamps that carry none; without it they are dead letters")
	fs.StringVar(&f.registry.URL, "schema-registry", "", "Confluent-compatible Schema Registry `URL` for Kafka values in Schema Registry framing (magic byte 0 + schema id) whose payload is Avro; framed JSON needs none (the frame is stripped); no credentials in the URL")
	fs.StringVar(&f.registry.User, "schema-registry-user", "", "basic-auth user of --schema-registry; the password comes from $"+events.DefaultSchemaRegistryPasswordEnv+" or --schema-registry-password-file")
	fs.StringVar(&f.registry.PasswordFile, "schema-registry-password-file", "", "`FILE` holding the --schema-registry-user's password")
}

func (f *recordFlags) bindReadings(fs *flag.FlagSet) {
	f.bindCommon(fs)
	fs.StringVar(&f.deviceField, "device-field", "device_id", "the field holding the device id: a dotted `PATH` (see --timestamp-field)")
	fs.StringVar(&f.metrics, "metrics", "all", "which fields are metrics: all (every numeric top-level field) or a comma-separated list of PATH or PATH:NAME (DHT11.Temperature:temperature, state.reported.t:temperature); all may be combined with paths. Without all and without --metric, the detectors score every name listed (see --metric). A reading carrying none of the scored metrics is a dead letter")
	fs.StringVar(&f.dedupKey, "dedup", "", "drop redelivered copies of a reading: the `FIELDS` that identify it, joined by + (reading_id, device_id+timestamp); the first copy within --dedup-window wins. Needs keyed state: prism or flink, not --runner=direct")
	fs.DurationVar(&f.dedupWindow, "dedup-window", dedup.DefaultWindow, "with --dedup: how far apart in event time two copies may be and still be one reading; ids older than this behind their device's newest reading are forgotten")
}

func (f *recordFlags) bindReviews(fs *flag.FlagSet) {
	f.bindCommon(fs)
	fs.StringVar(&f.review.ID, "review-id-field", "review_id", "the field holding the review id (a dotted `PATH`)")
	fs.StringVar(&f.review.Product, "product-field", "product_id", "the field holding the product id (a dotted `PATH`)")
	fs.StringVar(&f.review.Text, "text-field", "review_text", "the field holding the review text (a dotted `PATH`)")
	fs.StringVar(&f.review.Rating, "rating-field", "rating", "the field holding the optional 1-5 rating (a dotted `PATH`)")
}

// decodeOptions validates the record flags into the decoders' options;
// required names the scored metrics.
func (f *recordFlags) decodeOptions(maxFuture time.Duration, required ...string) (events.DecodeOptions, error) {
	o := events.DecodeOptions{
		MaxFuture:       maxFuture,
		DeviceField:     f.deviceField,
		TimestampField:  f.timestampField,
		Metrics:         f.metrics,
		Required:        required,
		TimestampUnit:   f.timestampUnit,
		TimestampFormat: f.timestampFormat,
		Timezone:        f.timezone,
		Review:          f.review,
		SchemaRegistry:  f.registry,
	}
	if err := o.Validate(); err != nil {
		return o, usagef("%v", err)
	}
	return o, nil
}

// dedupOptions validates --dedup and --dedup-window.
func (f *recordFlags) dedupOptions(runner string) (dedup.Options, error) {
	if f.dedupKey == "" {
		return dedup.Options{}, nil
	}
	if runner == "direct" {
		return dedup.Options{}, usagef("--dedup needs keyed state and timers, which the direct runner lacks: use --runner=prism (the default) or flink")
	}
	if _, err := events.NewKeyReader(f.dedupKey); err != nil {
		return dedup.Options{}, usagef("--dedup: %v", err)
	}
	if f.dedupWindow <= 0 {
		return dedup.Options{}, usagef("--dedup-window must be positive")
	}
	return dedup.Options{Key: f.dedupKey, Window: f.dedupWindow}, nil
}
