package inference

import (
	"errors"
	"fmt"

	"google.golang.org/protobuf/encoding/protowire"
)

// onnxTensor is a graph input or output as an ONNX file declares it.
type onnxTensor struct {
	Name     string
	ElemType int32   // onnx.TensorProto.DataType: 1 float, 7 int64, 9 bool, 11 double
	Dims     []int64 // -1 for a symbolic dimension
	IsTensor bool
}

// ONNX element types the model detector reads.
const (
	onnxFloat  = 1
	onnxInt64  = 7
	onnxBool   = 9
	onnxDouble = 11
)

// readONNXInfo reads the graph's inputs (initializers excluded) and outputs
// from an ONNX file's bytes, without ONNX Runtime: creating a session just
// to learn the names costs as much as the real one (seconds for a
// 100-tree forest), and a file that is not an ONNX model is caught here.
// Field numbers are onnx.proto's: ModelProto.graph 7; GraphProto.input 11,
// output 12, initializer 5; ValueInfoProto.name 1, type 2;
// TypeProto.tensor_type 1; Tensor.elem_type 1, shape 2;
// TensorShapeProto.dim 1; Dimension.dim_value 1.
func readONNXInfo(b []byte) (ins, outs []onnxTensor, err error) {
	graph, err := field(b, 7)
	if err != nil || graph == nil {
		return nil, nil, errors.New("not an ONNX model (no graph)")
	}
	inits := map[string]bool{}
	err = each(graph, func(num protowire.Number, v []byte) error {
		switch num {
		case 5:
			name, err := field(v, 8)
			if err != nil {
				return err
			}
			inits[string(name)] = true
		case 11, 12:
			t, err := valueInfo(v)
			if err != nil {
				return err
			}
			if num == 11 {
				ins = append(ins, t)
			} else {
				outs = append(outs, t)
			}
		}
		return nil
	})
	if err != nil {
		return nil, nil, fmt.Errorf("not an ONNX model: %v", err)
	}
	var real []onnxTensor
	for _, in := range ins {
		if !inits[in.Name] {
			real = append(real, in)
		}
	}
	if len(real) == 0 || len(outs) == 0 {
		return nil, nil, errors.New("not an ONNX model (no inputs or outputs)")
	}
	return real, outs, nil
}

func valueInfo(b []byte) (onnxTensor, error) {
	var t onnxTensor
	name, err := field(b, 1)
	if err != nil {
		return t, err
	}
	t.Name = string(name)
	typ, err := field(b, 2)
	if err != nil || typ == nil {
		return t, err
	}
	tensor, err := field(typ, 1)
	if err != nil || tensor == nil {
		return t, err
	}
	t.IsTensor = true
	err = each(tensor, func(num protowire.Number, v []byte) error {
		if num != 2 {
			return nil
		}
		return each(v, func(num protowire.Number, dim []byte) error {
			if num != 1 {
				return nil
			}
			d := int64(-1)
			err := eachVarint(dim, func(num protowire.Number, x uint64) {
				if num == 1 {
					d = int64(x)
				}
			})
			t.Dims = append(t.Dims, d)
			return err
		})
	})
	if err != nil {
		return t, err
	}
	return t, eachVarint(tensor, func(num protowire.Number, x uint64) {
		if num == 1 {
			t.ElemType = int32(x)
		}
	})
}

// field returns the last length-delimited field num of message b (nil when
// absent).
func field(b []byte, want protowire.Number) ([]byte, error) {
	var out []byte
	err := each(b, func(num protowire.Number, v []byte) error {
		if num == want {
			out = v
		}
		return nil
	})
	return out, err
}

// each calls fn for every length-delimited field of message b, skipping
// the others, and fails on a malformed message.
func each(b []byte, fn func(protowire.Number, []byte) error) error {
	return walk(b, protowire.BytesType, func(num protowire.Number, v []byte) error {
		return fn(num, v)
	})
}

// eachVarint calls fn for every varint field of message b.
func eachVarint(b []byte, fn func(protowire.Number, uint64)) error {
	return walk(b, protowire.VarintType, func(num protowire.Number, v []byte) error {
		x, _ := protowire.ConsumeVarint(v) // walk has checked it
		fn(num, x)
		return nil
	})
}

// walk calls fn with the encoded value of every field of b whose wire type
// is want (for bytes fields, the bytes without their length), skipping the
// others, and fails on a malformed message.
func walk(b []byte, want protowire.Type, fn func(protowire.Number, []byte) error) error {
	for len(b) > 0 {
		num, typ, n := protowire.ConsumeTag(b)
		if n < 0 {
			return protowire.ParseError(n)
		}
		b = b[n:]
		n = protowire.ConsumeFieldValue(num, typ, b)
		if n < 0 {
			return protowire.ParseError(n)
		}
		if typ == want {
			v := b[:n]
			if typ == protowire.BytesType {
				v, _ = protowire.ConsumeBytes(v)
			}
			if err := fn(num, v); err != nil {
				return err
			}
		}
		b = b[n:]
	}
	return nil
}
