package inference

import (
	"testing"

	"google.golang.org/protobuf/encoding/protowire"
)

// TestReadONNXInfo reads inputs and outputs from a hand-built ModelProto
// and refuses what is not one.
func TestReadONNXInfo(t *testing.T) {
	dim := func(v int64) []byte {
		var d []byte
		if v >= 0 {
			d = protowire.AppendTag(d, 1, protowire.VarintType)
			d = protowire.AppendVarint(d, uint64(v))
		}
		return d
	}
	info := func(name string, elem int, dims ...int64) []byte {
		var shape []byte
		for _, v := range dims {
			shape = protowire.AppendTag(shape, 1, protowire.BytesType)
			shape = protowire.AppendBytes(shape, dim(v))
		}
		var tensor []byte
		tensor = protowire.AppendTag(tensor, 1, protowire.VarintType)
		tensor = protowire.AppendVarint(tensor, uint64(elem))
		tensor = protowire.AppendTag(tensor, 2, protowire.BytesType)
		tensor = protowire.AppendBytes(tensor, shape)
		var typ []byte
		typ = protowire.AppendTag(typ, 1, protowire.BytesType)
		typ = protowire.AppendBytes(typ, tensor)
		var vi []byte
		vi = protowire.AppendTag(vi, 1, protowire.BytesType)
		vi = protowire.AppendString(vi, name)
		vi = protowire.AppendTag(vi, 2, protowire.BytesType)
		return protowire.AppendBytes(vi, typ)
	}
	var graph []byte
	graph = protowire.AppendTag(graph, 11, protowire.BytesType)
	graph = protowire.AppendBytes(graph, info("X", onnxFloat, -1, 3))
	graph = protowire.AppendTag(graph, 12, protowire.BytesType)
	graph = protowire.AppendBytes(graph, info("label", onnxInt64, -1))
	graph = protowire.AppendTag(graph, 12, protowire.BytesType)
	graph = protowire.AppendBytes(graph, info("scores", onnxFloat, -1, 1))
	var model []byte
	model = protowire.AppendTag(model, 1, protowire.VarintType) // ir_version
	model = protowire.AppendVarint(model, 8)
	model = protowire.AppendTag(model, 7, protowire.BytesType)
	model = protowire.AppendBytes(model, graph)

	ins, outs, err := readONNXInfo(model)
	if err != nil {
		t.Fatal(err)
	}
	if len(ins) != 1 || ins[0].Name != "X" || ins[0].ElemType != onnxFloat || len(ins[0].Dims) != 2 || ins[0].Dims[0] != -1 || ins[0].Dims[1] != 3 {
		t.Errorf("inputs = %+v", ins)
	}
	if len(outs) != 2 || outs[0].Name != "label" || outs[0].ElemType != onnxInt64 || outs[1].Name != "scores" {
		t.Errorf("outputs = %+v", outs)
	}
	for _, bad := range [][]byte{[]byte("garbage, not a model"), model[:len(model)/2], nil} {
		if _, _, err := readONNXInfo(bad); err == nil {
			t.Errorf("readONNXInfo(%q) read a model", bad)
		}
	}
}
