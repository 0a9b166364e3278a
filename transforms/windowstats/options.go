package windowstats

import (
	"cmp"
	"fmt"
	"strings"
	"time"
)

// Options configures PerKey. The zero value is the default.
type Options struct {
	// Size is the window length. Default 5 minutes.
	Size time.Duration
	// Period, when set and shorter than Size, makes the windows slide:
	// a new window starts every Period. Default 0: fixed windows.
	Period time.Duration
	// Metrics restricts the statistics to these metrics. Default: every
	// metric of every reading.
	Metrics []string
	// Quantiles are the quantiles reported, each in (0, 1): exact up to
	// 128 values in a window, then from a DDSketch (1% relative accuracy).
	// Default 0.5, 0.9, 0.99.
	Quantiles []float64
	// AllowedLateness is how long after a window's end (in the device's own
	// event time, PerDevice) readings still refine it in late panes; later
	// ones are dead letters. Default 0: a window closes at its end.
	AllowedLateness time.Duration
	// StateTTL is how long PerDevice remembers a device with no window
	// open (so that a straggler is still known to be late). Default
	// DefaultStateTTL; negative: forever.
	StateTTL time.Duration
	// Stage is PerDevice's dead-letter stage and the prefix of its counters
	// (Stage+"_late_panes", Stage+"_late_readings_dead_lettered",
	// Stage+"_device_states_expired"). Default window_stats (Stage); theme
	// counts reuse PerDevice under their own.
	Stage string
	// KeyName is what a key is called in late dead letters' reasons.
	// Default "device".
	KeyName string
	// SpillDir, when set, makes MergePartials, MergePartialsJSON and
	// WriteJSONL keep the partials in files under this directory rather
	// than in the runner's shuffle (groupSpilled); every worker must see
	// it (prism and the direct runner, whose workers are this process).
	// The caller creates and removes it. Default "": the shuffle.
	SpillDir string
}

// DefaultStateTTL is how long PerDevice remembers a quiet device.
const DefaultStateTTL = 24 * time.Hour

// DefaultSize is the default window length.
const DefaultSize = 5 * time.Minute

func (o Options) withDefaults() Options {
	o.Size = cmp.Or(o.Size, DefaultSize)
	o.StateTTL = cmp.Or(o.StateTTL, DefaultStateTTL)
	o.Stage = cmp.Or(o.Stage, Stage)
	o.KeyName = cmp.Or(o.KeyName, "device")
	if o.Quantiles == nil {
		o.Quantiles = []float64{0.5, 0.9, 0.99}
	}
	return o
}

func (o Options) validate() {
	if o.Size < time.Millisecond {
		panic(fmt.Sprintf("windowstats.PerKey: window size %s under 1ms", o.Size))
	}
	if o.Period < 0 || (o.Period > 0 && (o.Period >= o.Size || o.Period < time.Millisecond)) {
		panic(fmt.Sprintf("windowstats.PerKey: period %s must be in [1ms, size %s)", o.Period, o.Size))
	}
	if o.AllowedLateness < 0 {
		panic(fmt.Sprintf("windowstats: allowed lateness %s is negative", o.AllowedLateness))
	}
	for _, q := range o.Quantiles {
		if !(q > 0 && q < 1) {
			panic(fmt.Sprintf("windowstats.PerKey: quantile %v outside (0, 1)", q))
		}
	}
}

// ParseWindow parses "SIZE" (fixed windows) or "SIZE/PERIOD" (sliding),
// e.g. "5m" or "30m/5m".
func ParseWindow(s string) (size, period time.Duration, err error) {
	sizeText, periodText, sliding := strings.Cut(s, "/")
	if size, err = time.ParseDuration(sizeText); err != nil || size < time.Millisecond {
		return 0, 0, fmt.Errorf("window %q: want a duration such as 5m, or SIZE/PERIOD such as 30m/5m", s)
	}
	if sliding {
		if period, err = time.ParseDuration(periodText); err != nil || period < time.Millisecond || period >= size {
			return 0, 0, fmt.Errorf("window %q: the period must be a duration shorter than the size", s)
		}
	}
	return size, period, nil
}

// quantileNames is quantileName of each of qs.
func quantileNames(qs []float64) []string {
	names := make([]string, len(qs))
	for i, q := range qs {
		names[i] = quantileName(q)
	}
	return names
}

func quantileName(q float64) string {
	s := fmt.Sprintf("%g", q*100)
	return "p" + strings.ReplaceAll(s, ".", "_")
}
