package view

import (
	"context"
	"fmt"
	"testing"

	"github.com/twmb/franz-go/pkg/kfake"

	"github.com/beamlens/beamlens/internal/brokertest"
	"github.com/twmb/franz-go/pkg/kgo"
)

// TestFollowsKafkaTopics: the view reads anomaly and theme topics from
// their start and keeps up as records arrive.
func TestFollowsKafkaTopics(t *testing.T) {
	k := brokertest.NewKafka(t, kfake.SeedTopics(2, "sensor_anomalies", "product_review_theme_counts"))
	addr, cl := k.Brokers[0], k.Client(t)
	produce := func(topic, v string) {
		if err := cl.ProduceSync(context.Background(), &kgo.Record{Topic: topic, Value: []byte(v)}).FirstErr(); err != nil {
			t.Fatal(err)
		}
	}
	for i := range 5 {
		produce("sensor_anomalies", fmt.Sprintf(`{"device_id":"d%d","timestamp":%d,"temperature":120,"metric":"temperature","score":120,"detector":"threshold"}`, i%2, 1748772000000+i*1000))
	}
	produce("product_review_theme_counts", `{"theme":"delivery","count":3,"window_start":"2025-06-01T10:00:00Z","window_end":"2025-06-01T10:10:00Z"}`)
	srv := New(Sources{Anomalies: "kafka://" + addr + "/sensor_anomalies", Themes: "kafka://" + addr + "/product_review_theme_counts"}, 0)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- srv.Follow(ctx) }()
	waitFor(t, func() bool { s := srv.Snapshot(); return s.Anomalies == 5 && s.Mentions == 3 })
	produce("sensor_anomalies", `{"device_id":"d9","timestamp":1748772100000,"temperature":130,"metric":"temperature","score":130,"detector":"threshold"}`)
	waitFor(t, func() bool { return srv.Snapshot().Anomalies == 6 })
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if _, _, err := parseKafka("kafka://host:9092"); err == nil {
		t.Error("a kafka URI without a topic was accepted")
	}
}
