package inference

import (
	"math"

	"google.golang.org/protobuf/encoding/protowire"
)

// Writing the rewritten graph: a new node is encoded here, every other
// field of the model is copied from the file as it was.

// encodeNode writes a new NodeProto; its attributes in the order given.
func encodeNode(n onnxNode, attrOrder []string) []byte {
	var b []byte
	for _, s := range n.In {
		b = protowire.AppendTag(b, 1, protowire.BytesType)
		b = protowire.AppendString(b, s)
	}
	for _, s := range n.Out {
		b = protowire.AppendTag(b, 2, protowire.BytesType)
		b = protowire.AppendString(b, s)
	}
	b = protowire.AppendTag(b, 3, protowire.BytesType)
	b = protowire.AppendString(b, n.Name)
	b = protowire.AppendTag(b, 4, protowire.BytesType)
	b = protowire.AppendString(b, n.Op)
	for _, name := range attrOrder {
		b = protowire.AppendTag(b, 5, protowire.BytesType)
		b = protowire.AppendBytes(b, encodeAttr(name, n.Attrs[name]))
	}
	b = protowire.AppendTag(b, 7, protowire.BytesType)
	return protowire.AppendString(b, n.Domain)
}

func encodeAttr(name string, a onnxAttr) []byte {
	var b []byte
	b = protowire.AppendTag(b, 1, protowire.BytesType)
	b = protowire.AppendString(b, name)
	switch a.Type {
	case attrFloat:
		b = protowire.AppendTag(b, 2, protowire.Fixed32Type)
		b = protowire.AppendFixed32(b, math.Float32bits(a.F))
	case attrInt:
		b = protowire.AppendTag(b, 3, protowire.VarintType)
		b = protowire.AppendVarint(b, uint64(a.I))
	case attrString:
		b = protowire.AppendTag(b, 4, protowire.BytesType)
		b = protowire.AppendString(b, a.S)
	case attrFloats:
		var p []byte
		for _, f := range a.Floats {
			p = protowire.AppendFixed32(p, math.Float32bits(f))
		}
		b = protowire.AppendTag(b, 7, protowire.BytesType)
		b = protowire.AppendBytes(b, p)
	case attrInts:
		var p []byte
		for _, x := range a.Ints {
			p = protowire.AppendVarint(p, uint64(x))
		}
		b = protowire.AppendTag(b, 8, protowire.BytesType)
		b = protowire.AppendBytes(b, p)
	case attrStrings:
		for _, s := range a.Strings {
			b = protowire.AppendTag(b, 9, protowire.BytesType)
			b = protowire.AppendString(b, s)
		}
	}
	b = protowire.AppendTag(b, 20, protowire.VarintType)
	return protowire.AppendVarint(b, uint64(a.Type))
}

// rewriteGraph returns model with its graph's nodes replaced by nodes (each
// an encoded NodeProto, in order) and the initializers drop names left
// out; every other field of the model and the graph is copied as it is.
func rewriteGraph(model []byte, nodes [][]byte, drop map[string]bool) ([]byte, error) {
	var out []byte
	err := copyFields(model, func(num protowire.Number, typ protowire.Type, v []byte) ([]byte, bool, error) {
		if num != 7 || typ != protowire.BytesType {
			return nil, false, nil
		}
		graph, _ := protowire.ConsumeBytes(v)
		var g []byte
		wrote := false
		err := copyFields(graph, func(num protowire.Number, typ protowire.Type, v []byte) ([]byte, bool, error) {
			switch {
			case num == graphNode && typ == protowire.BytesType:
				if wrote {
					return nil, true, nil
				}
				wrote = true
				var all []byte
				for _, n := range nodes {
					all = protowire.AppendTag(all, graphNode, protowire.BytesType)
					all = protowire.AppendBytes(all, n)
				}
				return all, true, nil
			case num == graphInitializer && typ == protowire.BytesType:
				t, _ := protowire.ConsumeBytes(v)
				name, err := field(t, 8)
				if err != nil {
					return nil, false, err
				}
				return nil, drop[string(name)], nil
			}
			return nil, false, nil
		}, &g)
		if err != nil {
			return nil, false, err
		}
		var enc []byte
		enc = protowire.AppendTag(enc, 7, protowire.BytesType)
		return protowire.AppendBytes(enc, g), true, nil
	}, &out)
	return out, err
}

// copyFields appends b's fields to *out one by one: as they are, or, when
// replace says so, its bytes instead (nil drops the field). v is the
// field's encoded value (a bytes field with its length).
func copyFields(b []byte, replace func(protowire.Number, protowire.Type, []byte) ([]byte, bool, error), out *[]byte) error {
	for len(b) > 0 {
		num, typ, n := protowire.ConsumeTag(b)
		if n < 0 {
			return protowire.ParseError(n)
		}
		m := protowire.ConsumeFieldValue(num, typ, b[n:])
		if m < 0 {
			return protowire.ParseError(m)
		}
		with, replaced, err := replace(num, typ, b[n:n+m])
		if err != nil {
			return err
		}
		if replaced {
			*out = append(*out, with...)
		} else {
			*out = append(*out, b[:n+m]...)
		}
		b = b[n+m:]
	}
	return nil
}
