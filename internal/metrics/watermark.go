package metrics

import (
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// watermarkSources are the unbounded reads' registries of the newest
// watermark each reader estimated (Kafka, Pub/Sub).
var watermarkSources struct {
	sync.Mutex
	oldest []func() (time.Time, bool)
}

// AddWatermarkSource adds a source's oldest watermark to the lag gauge.
// The Kafka and Pub/Sub reads call it once, from init.
func AddWatermarkSource(oldest func() (wm time.Time, ok bool)) {
	watermarkSources.Lock()
	watermarkSources.oldest = append(watermarkSources.oldest, oldest)
	watermarkSources.Unlock()
}

// WatermarkLag is how far the oldest watermark of this process's unbounded
// reads trails now; ok is false when there is none, as with file inputs,
// whose watermark jumps to the end once they are read.
func WatermarkLag(now time.Time) (lag time.Duration, ok bool) {
	watermarkSources.Lock()
	defer watermarkSources.Unlock()
	var oldest time.Time
	for _, wm := range watermarkSources.oldest {
		if t, has := wm(); has && (!ok || t.Before(oldest)) {
			oldest, ok = t, true
		}
	}
	return now.Sub(oldest), ok
}

// watermarkLag is the beamlens_watermark_lag_seconds gauge, absent (rather
// than 0, which would read "up to date") while no unbounded read has a
// watermark.
type watermarkLag struct{ desc *prometheus.Desc }

func (w watermarkLag) Describe(ch chan<- *prometheus.Desc) { ch <- w.desc }

func (w watermarkLag) Collect(ch chan<- prometheus.Metric) {
	if lag, ok := WatermarkLag(time.Now()); ok {
		ch <- prometheus.MustNewConstMetric(w.desc, prometheus.GaugeValue, lag.Seconds())
	}
}

func init() {
	Registry.MustRegister(watermarkLag{prometheus.NewDesc(prometheus.BuildFQName(Namespace, "", "watermark_lag_seconds"),
		"How far the oldest watermark of this process's Kafka and Pub/Sub reads trails the clock.", nil, nil)})
}
