package events

import (
	"encoding/base64"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/hamba/avro/v2"
	"github.com/twmb/franz-go/pkg/sr"
	"github.com/twmb/franz-go/pkg/sr/srfake"
)

const readingAvsc = `{"type":"record","name":"Reading","fields":[
	{"name":"device_id","type":"string"},
	{"name":"timestamp","type":{"type":"long","logicalType":"timestamp-millis"}},
	{"name":"temperature","type":"double"},
	{"name":"note","type":["null","string"],"default":null}]}`

// frame prefixes payload with Confluent's header for id.
func frame(id int, payload []byte) []byte {
	var h sr.ConfluentHeader
	b, _ := h.AppendEncode(nil, id, nil)
	return append(b, payload...)
}

func TestFramedJSON(t *testing.T) {
	d := ReadingDecoder{Options: DecodeOptions{NowMs: fixedNow}}
	r, err := d.Decode(frame(3, []byte(`{"device_id":"p","timestamp":"2025-06-01T10:00:00Z","temperature":104.5}`)))
	if err != nil {
		t.Fatal(err)
	}
	if v, _ := r.Metric("temperature"); v != 104.5 || r.Raw[0] != '{' {
		t.Fatalf("got %v raw %q", v, r.Raw)
	}
	// Not JSON and no registry: the reason says what it is and what to do.
	_, err = d.Decode(frame(258, []byte{0x02, 0x70}))
	if err == nil || !strings.Contains(err.Error(), "Schema Registry framed (schema id 258)") || !strings.Contains(err.Error(), "--schema-registry") {
		t.Fatalf("err = %v", err)
	}
}

// TestFramedAvro decodes Avro values with writer schemas from franz-go's
// in-process Schema Registry (srfake, Confluent's REST API).
func TestFramedAvro(t *testing.T) {
	reg := srfake.New()
	defer reg.Close()
	reg.SeedSchema("sensor_data-value", 1, 7, sr.Schema{Schema: readingAvsc, Type: sr.TypeAvro})
	reg.SeedSchema("other-value", 1, 8, sr.Schema{Schema: `{"type":"object"}`, Type: sr.TypeJSON})
	schema := avro.MustParse(readingAvsc)
	payload, err := avro.Marshal(schema, map[string]any{
		"device_id": "pump-9", "timestamp": int64(1748772000000), "temperature": 104.25, "note": "hi",
	})
	if err != nil {
		t.Fatal(err)
	}
	requests := 0
	reg.Intercept(func(w http.ResponseWriter, r *http.Request) bool { requests++; return false })
	d := ReadingDecoder{Options: DecodeOptions{NowMs: fixedNow, SchemaRegistry: SchemaRegistry{URL: reg.URL()}}}
	for i := 0; i < 3; i++ {
		r, err := d.Decode(frame(7, payload))
		if err != nil {
			t.Fatal(err)
		}
		if v, _ := r.Metric("temperature"); r.DeviceID != "pump-9" || r.EventTimeMs != 1748772000000 || v != 104.25 {
			t.Fatalf("got %+v", r)
		}
		if !strings.Contains(string(r.Raw), `"note":"hi"`) && !strings.Contains(string(r.Raw), `"note":{"string":"hi"}`) {
			t.Fatalf("raw %s lost the note", r.Raw)
		}
	}
	if requests != 1 {
		t.Errorf("registry asked %d times for one id, want 1 (cached)", requests)
	}
	if _, err := d.Decode(frame(99, payload)); err == nil || err.Error() != "schema id 99: the schema registry does not know this id" || !IsFieldError(err) {
		t.Fatalf("unknown id: %v", err)
	}
	if _, err := d.Decode(frame(8, payload)); err == nil || !strings.Contains(err.Error(), "schema id 8 is a JSON schema") {
		t.Fatalf("json schema, binary payload: %v", err)
	}
	if _, err := d.Decode(frame(7, payload[:3])); err == nil || !strings.Contains(err.Error(), "Avro payload does not decode") {
		t.Fatalf("short payload: %v", err)
	}
}

// TestFramedAvroRegistryDown: an unreachable registry is not the record's
// fault, so it is a plain error (the runner retries), never a dead letter.
func TestFramedAvroRegistryDown(t *testing.T) {
	reg := srfake.New()
	url := reg.URL()
	reg.Close()
	d := ReadingDecoder{Options: DecodeOptions{NowMs: fixedNow, SchemaRegistry: SchemaRegistry{URL: url, Timeout: time.Second}}}
	_, err := d.Decode(frame(7, []byte{2, 3}))
	if err == nil || IsFieldError(err) {
		t.Fatalf("err = %v, want a plain error", err)
	}
}

func TestFramedAvroBasicAuth(t *testing.T) {
	reg := srfake.New(srfake.WithAuth("Basic " + base64.StdEncoding.EncodeToString([]byte("beam:s3cret"))))
	defer reg.Close()
	reg.SeedSchema("s-value", 1, 7, sr.Schema{Schema: readingAvsc, Type: sr.TypeAvro})
	payload, _ := avro.Marshal(avro.MustParse(readingAvsc), map[string]any{"device_id": "a", "timestamp": int64(0), "temperature": 1.0, "note": nil})
	t.Setenv("BEAMLENS_TEST_SR_PASS", "s3cret")
	d := ReadingDecoder{Options: DecodeOptions{NowMs: fixedNow, SchemaRegistry: SchemaRegistry{URL: reg.URL(), User: "beam", PasswordEnv: "BEAMLENS_TEST_SR_PASS"}}}
	if _, err := d.Decode(frame(7, payload)); err != nil {
		t.Fatal(err)
	}
	t.Setenv("BEAMLENS_TEST_SR_PASS", "wrong")
	d = ReadingDecoder{Options: d.Options}
	if _, err := d.Decode(frame(7, payload)); err == nil || IsFieldError(err) {
		t.Fatalf("wrong password: %v, want a plain error", err)
	}
}
