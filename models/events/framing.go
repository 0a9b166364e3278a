package events

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"time"

	"github.com/beamlens/beamlens/internal/secret"
	"github.com/hamba/avro/v2"
	"github.com/twmb/franz-go/pkg/sr"
)

// DefaultSchemaRegistryPasswordEnv is where the Schema Registry password is
// read from when SchemaRegistry.PasswordFile is empty.
const DefaultSchemaRegistryPasswordEnv = "SCHEMA_REGISTRY_PASSWORD"

// SchemaRegistry says where the writer schemas of Confluent-framed Avro
// values are. A framed value is the magic byte 0, a 4-byte big-endian
// schema id, then the payload (what Confluent's serializers write). A JSON
// payload (JSON Schema serializer) is read after stripping the frame, with
// or without a registry; an Avro payload is decoded with the schema the
// registry holds for the id, fetched once per id and decoder, and read as
// the JSON object of its fields.
type SchemaRegistry struct {
	// URL of a Confluent-compatible Schema Registry (Confluent, Redpanda,
	// Apicurio's ccompat API). Default "": framed values that are not JSON
	// are dead letters. Credentials never go here.
	URL string
	// User for HTTP basic auth; with it the password is read from
	// PasswordFile, else from the environment variable PasswordEnv
	// (default DefaultSchemaRegistryPasswordEnv), on the worker.
	User         string
	PasswordEnv  string
	PasswordFile string
	// Timeout of one registry request. Default 10s.
	Timeout time.Duration
}

func (r SchemaRegistry) validate() error {
	if r.URL == "" {
		return nil
	}
	u, err := url.Parse(r.URL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("schema registry URL %q: want http(s)://HOST[:PORT][/PATH]", r.URL)
	}
	if u.User != nil {
		return fmt.Errorf("schema registry URL must not hold credentials: give the user with --schema-registry-user and the password in $%s or a file", DefaultSchemaRegistryPasswordEnv)
	}
	return nil
}

func (r SchemaRegistry) password() (string, error) {
	env := r.PasswordEnv
	if env == "" {
		env = DefaultSchemaRegistryPasswordEnv
	}
	p, err := secret.Load(r.PasswordFile, env)
	if err != nil {
		return "", fmt.Errorf("schema registry password: %w", err)
	}
	return p, nil
}

// Framed reports whether b starts like a Confluent-framed value, and its
// schema id and payload.
func Framed(b []byte) (id int, payload []byte, ok bool) {
	var h sr.ConfluentHeader
	id, payload, err := h.DecodeID(b)
	return id, payload, err == nil
}

// unframer strips Confluent framing, decoding Avro payloads with schemas
// from the registry.
type unframer struct {
	client  *sr.Client
	schemas map[int]frameSchema
}

// frameSchema is what the registry said about one id: an Avro schema, a
// JSON one (json set), or that it has none for it (missing set).
type frameSchema struct {
	avro    avro.Schema
	json    bool
	missing string
}

// unframe returns raw itself unless it is framed; a framed JSON payload
// without its frame; an Avro payload as JSON. A record that cannot be read
// is a *FieldError; a registry that cannot be reached a plain error.
func (u *unframer) unframe(raw []byte, reg SchemaRegistry) ([]byte, error) {
	id, payload, ok := Framed(raw)
	if !ok {
		return raw, nil
	}
	if p := bytes.TrimLeft(payload, " \t\r\n"); len(p) > 0 && p[0] == '{' {
		return payload, nil
	}
	if reg.URL == "" {
		return nil, fieldErr("", "value is Schema Registry framed (schema id %d) and its payload is not JSON: give --schema-registry=URL to decode Avro", id)
	}
	s, err := u.schema(id, reg)
	if err != nil {
		return nil, err
	}
	switch {
	case s.missing != "":
		return nil, fieldErr("", "schema id %d: %s", id, s.missing)
	case s.json:
		return nil, fieldErr("", "schema id %d is a JSON schema but the payload is not a JSON object", id)
	}
	var v any
	if err := avro.Unmarshal(s.avro, payload, &v); err != nil {
		return nil, fieldErr("", "schema id %d: Avro payload does not decode: %s", id, shorten(err.Error(), 160))
	}
	if _, isMap := v.(map[string]any); !isMap {
		return nil, fieldErr("", "schema id %d: Avro value is not a record", id)
	}
	out, err := json.Marshal(v)
	if err != nil {
		return nil, fieldErr("", "schema id %d: Avro value has no JSON form: %s", id, shorten(err.Error(), 160))
	}
	return out, nil
}

// schema returns the registry's schema for id, asking it once per id.
func (u *unframer) schema(id int, reg SchemaRegistry) (frameSchema, error) {
	if s, ok := u.schemas[id]; ok {
		return s, nil
	}
	if u.client == nil {
		opts := []sr.ClientOpt{sr.URLs(reg.URL), sr.UserAgent("beamlens")}
		if reg.User != "" {
			pass, err := reg.password()
			if err != nil {
				return frameSchema{}, err
			}
			opts = append(opts, sr.BasicAuth(reg.User, pass))
		}
		cl, err := sr.NewClient(opts...)
		if err != nil {
			return frameSchema{}, fmt.Errorf("schema registry: %w", err)
		}
		u.client, u.schemas = cl, map[int]frameSchema{}
	}
	timeout := reg.Timeout
	if timeout <= 0 {
		timeout = 10 * time.Second
	}
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	got, err := u.client.SchemaByID(ctx, id)
	var s frameSchema
	var re *sr.ResponseError
	switch {
	case errors.As(err, &re) && re.StatusCode == 404:
		s.missing = "the schema registry does not know this id"
	case err != nil:
		return frameSchema{}, fmt.Errorf("schema registry: schema id %d: %w", id, err)
	case got.Type == sr.TypeJSON:
		s.json = true
	case got.Type == sr.TypeAvro:
		if s.avro, err = avro.Parse(got.Schema); err != nil {
			s.missing = "its Avro schema does not parse: " + shorten(err.Error(), 160)
		}
	default:
		s.missing = fmt.Sprintf("schema type %s is not supported (Avro and JSON are)", got.Type)
	}
	u.schemas[id] = s
	return s, nil
}
