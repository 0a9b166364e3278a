package pubsubio

import (
	"strings"
	"testing"
	"time"

	"github.com/apache/beam/sdks/v2/go/pkg/beam"
)

func TestReadOptionsDefaults(t *testing.T) {
	o := ReadOptions{}.withDefaults()
	if o.BatchMessages != DefaultBatchMessages || o.BatchDuration != DefaultBatchDuration ||
		o.IdleDelay != DefaultIdleDelay || o.WatermarkLag != DefaultWatermarkLag ||
		o.MaxMessages != 0 || o.StopAfterIdle != 0 || o.AckDelay != 0 {
		t.Errorf("defaults: %+v", o)
	}
	w := WriteOptions{}.withDefaults()
	if w.BatchMessages != DefaultPublishBatch || w.BatchBytes != DefaultPublishBytes ||
		w.BatchDelay != DefaultPublishDelay || w.PublishTimeout != DefaultPublishTimeout {
		t.Errorf("defaults: %+v", w)
	}
}

func TestOptionsValidate(t *testing.T) {
	ok := ReadOptions{Project: "p", Subscription: "sub"}
	for _, c := range []struct {
		o   ReadOptions
		msg string
	}{
		{ReadOptions{Subscription: "sub"}, "no Project"},
		{ReadOptions{Project: "p/q", Subscription: "sub"}, "not a project ID"},
		{ReadOptions{Project: "p"}, "no Subscription"},
		{ReadOptions{Project: "p", Subscription: "s"}, "not a valid Pub/Sub ID"},
		{ReadOptions{Project: "p", Subscription: "goog-sub"}, "not a valid Pub/Sub ID"},
		{ReadOptions{Project: "p", Subscription: "1sub"}, "not a valid Pub/Sub ID"},
		{ReadOptions{Project: "p", Subscription: "sub/x"}, "want [A-Za-z0-9-_.~+%]"},
		{ReadOptions{Project: "p", Subscription: "sub", MaxMessages: -1}, "MaxMessages"},
		{ReadOptions{Project: "p", Subscription: "sub", StopAfterIdle: -time.Second}, "must not be negative"},
		{ReadOptions{Project: "p", Subscription: "sub", AckDelay: time.Hour}, "AckDelay"},
	} {
		err := c.o.withDefaults().validate()
		if err == nil || !strings.Contains(err.Error(), c.msg) {
			t.Errorf("%+v: err %v, want %q", c.o, err, c.msg)
		}
	}
	if err := ok.withDefaults().validate(); err != nil {
		t.Errorf("%+v: %v", ok, err)
	}
	for _, c := range []struct {
		o   WriteOptions
		msg string
	}{
		{WriteOptions{Topic: "top"}, "no Project"},
		{WriteOptions{Project: "p", Topic: "t"}, "not a valid Pub/Sub ID"},
		{WriteOptions{Project: "p", Topic: "top", BatchMessages: 1001}, "BatchMessages"},
		{WriteOptions{Project: "p", Topic: "top", BatchBytes: 20_000_000}, "BatchBytes"},
		{WriteOptions{Project: "p", Topic: "top", Attributes: map[string]string{"googx": "1"}}, "Attributes"},
	} {
		err := c.o.withDefaults().validate()
		if err == nil || !strings.Contains(err.Error(), c.msg) {
			t.Errorf("%+v: err %v, want %q", c.o, err, c.msg)
		}
	}
	if err := (WriteOptions{Project: "p", Topic: "sensor_anomalies.window_stats"}).withDefaults().validate(); err != nil {
		t.Errorf("a derived stream topic name is refused: %v", err)
	}
}

func TestConstructorsPanicOnBadOptions(t *testing.T) {
	for name, build := range map[string]func(beam.Scope){
		"pubsubio.Read: no Project": func(s beam.Scope) { Read(s, ReadOptions{Subscription: "sub"}) },
		"pubsubio.Write: no Topic": func(s beam.Scope) {
			Write(s, WriteOptions{Project: "p"}, beam.Create(s, []byte("x")))
		},
	} {
		func() {
			defer func() {
				if r := recover(); r == nil || !strings.Contains(r.(string), name) {
					t.Errorf("panic %v, want %q", r, name)
				}
			}()
			_, s := beam.NewPipelineWithRoot()
			build(s)
		}()
	}
}
