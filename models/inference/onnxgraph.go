package inference

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"

	"google.golang.org/protobuf/encoding/protowire"
)

// The graph rewrite (onnxfuse.go) reads and writes the few ONNX messages
// it touches with protowire, like readONNXInfo: nodes, their attributes
// and initializers. Everything else in the file is copied byte for byte,
// so fields this code does not know survive the rewrite. Field numbers
// are onnx.proto's.

// Fields of GraphProto.
const (
	graphNode        = 1
	graphInitializer = 5
	graphInput       = 11
	graphOutput      = 12
)

// AttributeProto.AttributeType values.
const (
	attrFloat   = 1
	attrInt     = 2
	attrString  = 3
	attrFloats  = 6
	attrInts    = 7
	attrStrings = 8
)

// onnxNode is a NodeProto: its wiring, decoded attributes, and the bytes it
// was read from (a node kept as it is is written back from them).
type onnxNode struct {
	In, Out    []string
	Name       string
	Op, Domain string
	Attrs      map[string]onnxAttr
	raw        []byte
}

// onnxAttr is an AttributeProto of the kinds tree ensembles and the
// arithmetic around them use; other kinds keep only their type.
type onnxAttr struct {
	Type    int
	F       float32
	I       int64
	S       string
	Floats  []float32
	Ints    []int64
	Strings []string
}

// onnxInit is an initializer (TensorProto) with its values widened to
// float64; Known is false for an element type or layout not decoded here
// (external data, strings), which then counts as no constant.
type onnxInit struct {
	Name     string
	ElemType int32
	Dims     []int64
	Values   []float64
	Known    bool
}

// onnxGraph is a model's graph, decoded as far as the rewrite needs.
type onnxGraph struct {
	Nodes   []onnxNode
	Inits   map[string]onnxInit
	Inputs  []string // graph inputs, initializers included
	Outputs []string
}

func parseGraph(model []byte) (*onnxGraph, error) {
	graph, err := field(model, 7)
	if err != nil || graph == nil {
		return nil, errors.New("not an ONNX model (no graph)")
	}
	g := &onnxGraph{Inits: map[string]onnxInit{}}
	err = each(graph, func(num protowire.Number, v []byte) error {
		switch num {
		case graphNode:
			n, err := parseNode(v)
			if err != nil {
				return err
			}
			g.Nodes = append(g.Nodes, n)
		case graphInitializer:
			t, err := parseInit(v)
			if err != nil {
				return err
			}
			g.Inits[t.Name] = t
		case graphInput, graphOutput:
			name, err := field(v, 1)
			if err != nil {
				return err
			}
			if num == graphInput {
				g.Inputs = append(g.Inputs, string(name))
			} else {
				g.Outputs = append(g.Outputs, string(name))
			}
		}
		return nil
	})
	return g, err
}

func parseNode(b []byte) (onnxNode, error) {
	n := onnxNode{Attrs: map[string]onnxAttr{}, raw: b}
	err := each(b, func(num protowire.Number, v []byte) error {
		switch num {
		case 1:
			n.In = append(n.In, string(v))
		case 2:
			n.Out = append(n.Out, string(v))
		case 3:
			n.Name = string(v)
		case 4:
			n.Op = string(v)
		case 7:
			n.Domain = string(v)
		case 5:
			name, a, err := parseAttr(v)
			if err != nil {
				return err
			}
			n.Attrs[name] = a
		}
		return nil
	})
	return n, err
}

// parseAttr decodes AttributeProto: name 1, f 2, i 3, s 4, floats 7,
// ints 8, strings 9, type 20. Repeated numbers may come packed or not (onnx.proto is
// proto2, whose writers differ).
func parseAttr(b []byte) (string, onnxAttr, error) {
	var name string
	var a onnxAttr
	for len(b) > 0 {
		num, typ, n := protowire.ConsumeTag(b)
		if n < 0 {
			return "", a, protowire.ParseError(n)
		}
		b = b[n:]
		n = protowire.ConsumeFieldValue(num, typ, b)
		if n < 0 {
			return "", a, protowire.ParseError(n)
		}
		v := b[:n]
		b = b[n:]
		switch {
		case num == 1 && typ == protowire.BytesType:
			s, _ := protowire.ConsumeBytes(v)
			name = string(s)
		case num == 2 && typ == protowire.Fixed32Type:
			x, _ := protowire.ConsumeFixed32(v)
			a.F = math.Float32frombits(x)
		case num == 3 && typ == protowire.VarintType:
			x, _ := protowire.ConsumeVarint(v)
			a.I = int64(x)
		case num == 4 && typ == protowire.BytesType:
			s, _ := protowire.ConsumeBytes(v)
			a.S = string(s)
		case num == 7:
			fs, err := fixed32s(typ, v)
			if err != nil {
				return "", a, err
			}
			for _, x := range fs {
				a.Floats = append(a.Floats, math.Float32frombits(x))
			}
		case num == 8:
			xs, err := varints(typ, v)
			if err != nil {
				return "", a, err
			}
			for _, x := range xs {
				a.Ints = append(a.Ints, int64(x))
			}
		case num == 9 && typ == protowire.BytesType:
			s, _ := protowire.ConsumeBytes(v)
			a.Strings = append(a.Strings, string(s))
		case num == 20 && typ == protowire.VarintType:
			x, _ := protowire.ConsumeVarint(v)
			a.Type = int(x)
		}
	}
	return name, a, nil
}

// parseInit decodes TensorProto: dims 1, data_type 2, float_data 4,
// int32_data 5, int64_data 7, name 8, raw_data 9, double_data 10,
// data_location 14.
func parseInit(b []byte) (onnxInit, error) {
	t := onnxInit{}
	var raw []byte
	var hasRaw, external bool
	var f32 []uint32
	var i64, i32 []uint64
	var f64 []uint64
	for len(b) > 0 {
		num, typ, n := protowire.ConsumeTag(b)
		if n < 0 {
			return t, protowire.ParseError(n)
		}
		b = b[n:]
		n = protowire.ConsumeFieldValue(num, typ, b)
		if n < 0 {
			return t, protowire.ParseError(n)
		}
		v := b[:n]
		b = b[n:]
		var err error
		switch num {
		case 1:
			var ds []uint64
			ds, err = varints(typ, v)
			for _, d := range ds {
				t.Dims = append(t.Dims, int64(d))
			}
		case 2:
			x, _ := protowire.ConsumeVarint(v)
			t.ElemType = int32(x)
		case 4:
			var xs []uint32
			xs, err = fixed32s(typ, v)
			f32 = append(f32, xs...)
		case 5:
			var xs []uint64
			xs, err = varints(typ, v)
			i32 = append(i32, xs...)
		case 7:
			var xs []uint64
			xs, err = varints(typ, v)
			i64 = append(i64, xs...)
		case 8:
			s, _ := protowire.ConsumeBytes(v)
			t.Name = string(s)
		case 9:
			raw, _ = protowire.ConsumeBytes(v)
			hasRaw = true
		case 10:
			var xs []uint64
			xs, err = fixed64s(typ, v)
			f64 = append(f64, xs...)
		case 14:
			x, _ := protowire.ConsumeVarint(v)
			external = x != 0
		}
		if err != nil {
			return t, err
		}
	}
	if external {
		return t, nil
	}
	t.Known = true
	switch {
	case t.ElemType == onnxFloat && hasRaw && len(raw)%4 == 0:
		for i := 0; i < len(raw); i += 4 {
			t.Values = append(t.Values, float64(math.Float32frombits(binary.LittleEndian.Uint32(raw[i:]))))
		}
	case t.ElemType == onnxFloat && !hasRaw:
		for _, x := range f32 {
			t.Values = append(t.Values, float64(math.Float32frombits(x)))
		}
	case t.ElemType == onnxDouble && hasRaw && len(raw)%8 == 0:
		for i := 0; i < len(raw); i += 8 {
			t.Values = append(t.Values, math.Float64frombits(binary.LittleEndian.Uint64(raw[i:])))
		}
	case t.ElemType == onnxDouble && !hasRaw:
		for _, x := range f64 {
			t.Values = append(t.Values, math.Float64frombits(x))
		}
	case t.ElemType == onnxInt64 && hasRaw && len(raw)%8 == 0:
		for i := 0; i < len(raw); i += 8 {
			t.Values = append(t.Values, float64(int64(binary.LittleEndian.Uint64(raw[i:]))))
		}
	case t.ElemType == onnxInt64 && !hasRaw:
		for _, x := range i64 {
			t.Values = append(t.Values, float64(int64(x)))
		}
	case t.ElemType == onnxBool && !hasRaw:
		for _, x := range i32 {
			t.Values = append(t.Values, float64(x&1))
		}
	case t.ElemType == onnxBool && hasRaw:
		for _, x := range raw {
			t.Values = append(t.Values, float64(x&1))
		}
	default:
		t.Known = false
	}
	if t.Known {
		size := int64(1)
		for _, d := range t.Dims {
			size *= d
		}
		if size != int64(len(t.Values)) {
			return t, fmt.Errorf("initializer %q: %d values for dims %v", t.Name, len(t.Values), t.Dims)
		}
	}
	return t, nil
}

func varints(typ protowire.Type, v []byte) ([]uint64, error) {
	if typ == protowire.VarintType {
		x, _ := protowire.ConsumeVarint(v)
		return []uint64{x}, nil
	}
	if typ != protowire.BytesType {
		return nil, fmt.Errorf("wire type %d for a varint field", typ)
	}
	v, _ = protowire.ConsumeBytes(v)
	var out []uint64
	for len(v) > 0 {
		x, n := protowire.ConsumeVarint(v)
		if n < 0 {
			return nil, protowire.ParseError(n)
		}
		out = append(out, x)
		v = v[n:]
	}
	return out, nil
}

func fixed32s(typ protowire.Type, v []byte) ([]uint32, error) {
	if typ == protowire.Fixed32Type {
		x, _ := protowire.ConsumeFixed32(v)
		return []uint32{x}, nil
	}
	if typ != protowire.BytesType {
		return nil, fmt.Errorf("wire type %d for a fixed32 field", typ)
	}
	v, _ = protowire.ConsumeBytes(v)
	if len(v)%4 != 0 {
		return nil, errors.New("packed fixed32 field of odd length")
	}
	out := make([]uint32, 0, len(v)/4)
	for i := 0; i < len(v); i += 4 {
		out = append(out, binary.LittleEndian.Uint32(v[i:]))
	}
	return out, nil
}

func fixed64s(typ protowire.Type, v []byte) ([]uint64, error) {
	if typ == protowire.Fixed64Type {
		x, _ := protowire.ConsumeFixed64(v)
		return []uint64{x}, nil
	}
	if typ != protowire.BytesType {
		return nil, fmt.Errorf("wire type %d for a fixed64 field", typ)
	}
	v, _ = protowire.ConsumeBytes(v)
	if len(v)%8 != 0 {
		return nil, errors.New("packed fixed64 field of odd length")
	}
	out := make([]uint64, 0, len(v)/8)
	for i := 0; i < len(v); i += 8 {
		out = append(out, binary.LittleEndian.Uint64(v[i:]))
	}
	return out, nil
}
