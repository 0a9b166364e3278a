package modelscore

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/apache/beam/sdks/v2/go/pkg/beam"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/register"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/testing/passert"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/testing/ptest"
	"github.com/beamlens/beamlens/internal/pipetest"
	"github.com/beamlens/beamlens/models/events"
	"github.com/beamlens/beamlens/transforms/detect"
)

func TestMain(m *testing.M) { ptest.MainWithDefault(m, "prism") }

func init() {
	register.Function1x2(toKV)
	register.Function1x1(anomalyKey)
	register.Function1x1(deadKey)
	register.Function1x1(reasonOK)
}

// reasonOK says whether a dead letter of TestDeadLetterReasons gives the
// reason it should.
func reasonOK(d events.DeadLetter) string {
	ok := false
	switch string(d.Raw) {
	case "r1":
		ok = strings.Contains(d.Error, "HTTP 400") && strings.Contains(d.Error, "a negative current")
	case "r2":
		ok = strings.Contains(d.Error, "no pressure")
	}
	if !ok {
		return string(d.Raw) + " has reason " + d.Error
	}
	return string(d.Raw) + " ok"
}

// batch is one device's encoded readings.
type batch struct {
	Device string
	Data   []byte
}

func toKV(b batch) (string, []byte) { return b.Device, b.Data }

func anomalyKey(a events.Anomaly) string {
	return fmt.Sprintf("%s@%d score=%g", a.Reading.DeviceID, a.Reading.EventTimeMs, a.Score)
}

func deadKey(d events.DeadLetter) string {
	return d.Stage + ": " + string(d.Raw)
}

// ruleServer is a KServe v2 model over a rule the test can predict: label
// -1 (outlier) when the first feature is above 50; a request holding a
// negative first feature is refused whole (400); the first failFirst
// requests get 503, an outage.
type ruleServer struct {
	failFirst int32
	calls     atomic.Int32
	rows      atomic.Int32
}

func (s *ruleServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if s.calls.Add(1) <= s.failFirst {
		http.Error(w, "restarting", http.StatusServiceUnavailable)
		return
	}
	var req struct {
		Inputs []struct {
			Shape []int     `json:"shape"`
			Data  []float32 `json:"data"`
		} `json:"inputs"`
	}
	if err := json.NewDecoder(r.Body).Decode(&req); err != nil || len(req.Inputs) != 1 {
		http.Error(w, "bad request", http.StatusBadRequest)
		return
	}
	in := req.Inputs[0]
	n, width := in.Shape[0], in.Shape[1]
	labels := make([]int64, n)
	for i := range n {
		switch v := in.Data[i*width]; {
		case v < 0:
			http.Error(w, "a negative current", http.StatusBadRequest)
			return
		case v > 50:
			labels[i] = -1
		default:
			labels[i] = 1
		}
	}
	s.rows.Add(int32(n))
	json.NewEncoder(w).Encode(map[string]any{"outputs": []map[string]any{
		{"name": "predict", "shape": []int{n, 1}, "datatype": "INT64", "data": labels}}})
}

// TestScoreThroughAnOutage: every reading is scored exactly once through a
// server that is down at first, in requests of up to BatchSize rows; a row
// the model refuses and a reading without a metric are the only dead
// letters, each with its reason.
func TestScoreThroughAnOutage(t *testing.T) {
	srv := &ruleServer{failFirst: 3}
	hs := httptest.NewServer(srv)
	defer hs.Close()

	dec := events.ReadingDecoder{}
	var batches []batch
	var wantScores, wantDead []string
	anomalies := 0
	for d := range 3 {
		device := fmt.Sprintf("press-%d", d)
		var rs []events.Reading
		for i := range 100 {
			current := float64(10 + i%7)
			switch {
			case i%25 == 3:
				current = 80 // an outlier
			case d == 1 && i == 50:
				current = -5 // refused by the model
			}
			line := fmt.Sprintf(`{"device_id":%q,"timestamp":%d,"current":%g,"pressure":2}`, device, i*1000, current)
			if d == 2 && i == 7 {
				line = fmt.Sprintf(`{"device_id":%q,"timestamp":%d,"current":%g}`, device, i*1000, current)
			}
			r, err := dec.Decode([]byte(line))
			if err != nil {
				t.Fatal(err)
			}
			r.Raw = []byte(line)
			rs = append(rs, r)
			switch {
			case d == 1 && i == 50:
				wantDead = append(wantDead, "model: "+line)
			case d == 2 && i == 7:
				wantDead = append(wantDead, "model: "+line)
			default:
				label := 1
				if current > 50 {
					label = -1
					anomalies++
				}
				wantScores = append(wantScores, fmt.Sprintf("%s@%d score=%d", device, r.EventTimeMs, label))
			}
		}
		// Two batches per device, as two bundles' worth would arrive.
		batches = append(batches, batch{device, detect.EncodeBatch(rs[:60])}, batch{device, detect.EncodeBatch(rs[60:])})
	}

	p, s := beam.NewPipelineWithRoot()
	kvs := beam.ParDo(s, toKV, beam.CreateList(s, batches))
	opts := Options{URI: hs.URL + "/v2/models/rule", Metrics: []string{"current", "pressure"}, BatchSize: 64, EveryScore: true}
	scored, dead := Score(s, kvs, opts)
	passert.Equals(s, beam.ParDo(s, anomalyKey, scored), pipetest.Anys(wantScores)...)
	passert.Equals(s, beam.ParDo(s, deadKey, dead), pipetest.Anys(wantDead)...)
	ptest.RunAndValidate(t, p)

	if anomalies < 10 {
		t.Fatalf("the stream should hold outliers; it holds %d", anomalies)
	}
	// Rows reach the model once each, but for the refused request's
	// rows, which are sent again one by one.
	if got, most := int(srv.rows.Load()), len(wantScores)+64; got < len(wantScores) || got > most {
		t.Errorf("the model scored %d rows; want %d to %d", got, len(wantScores), most)
	}
}

// TestDeadLetterReasons: the reasons name what was missing or refused.
func TestDeadLetterReasons(t *testing.T) {
	hs := httptest.NewServer(&ruleServer{})
	defer hs.Close()
	r1 := events.Reading{DeviceID: "d", Metrics: []events.Metric{{Name: "current", Value: -1}, {Name: "pressure", Value: 1}}, Raw: []byte("r1")}
	r2 := events.Reading{DeviceID: "d", EventTimeMs: 1, Metrics: []events.Metric{{Name: "current", Value: 1}}, Raw: []byte("r2")}

	p, s := beam.NewPipelineWithRoot()
	kvs := beam.ParDo(s, toKV, beam.CreateList(s, []batch{{"d", detect.EncodeBatch([]events.Reading{r1, r2})}}))
	_, dead := Score(s, kvs, Options{URI: hs.URL + "/v2/models/rule", Metrics: []string{"current", "pressure"}})
	passert.Equals(s, beam.ParDo(s, reasonOK, dead), "r1 ok", "r2 ok")
	ptest.RunAndValidate(t, p)
}
