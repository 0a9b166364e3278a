package dedup

import (
	"time"

	"github.com/beamlens/beamlens/models/events"
)

// DefaultWindow is how long, in event time, a reading's identity is
// remembered: redeliveries come within seconds or minutes.
const DefaultWindow = 10 * time.Minute

// Options configures Readings.
type Options struct {
	// Key names the fields whose values identify a reading, joined by +
	// (see events.NewKeyReader): "reading_id", "device_id+timestamp".
	// Required. A reading that lacks a key field cannot be matched and
	// passes through.
	Key string
	// Window is how far apart in event time two copies may be and still be
	// one reading; identities older than this behind the device's newest
	// reading are forgotten. Default DefaultWindow.
	Window time.Duration
}

func (o Options) window() time.Duration {
	if o.Window == 0 {
		return DefaultWindow
	}
	return o.Window
}

func (o Options) validate() {
	if _, err := events.NewKeyReader(o.Key); err != nil {
		panic("dedup.Readings: Options.Key: " + err.Error())
	}
	if o.Window < 0 {
		panic("dedup.Readings: Options.Window is negative")
	}
}
