package inference

import (
	"errors"
	"math"
	"slices"
	"testing"

	"google.golang.org/protobuf/encoding/protowire"
)

// testForest builds the shape skl2onnx gives a forest, for two stumps on
// an input X of 3 columns: per tree a Gather of columns, a
// TreeEnsembleRegressor answering the leaf's id, a Cast, a LabelEncoder
// from leaf to a value and an Add of a constant; then a Sum of the trees
// and a Neg to the output. extra is appended to the graph's nodes.
func testForest(extra ...onnxNode) []byte {
	ints := func(v ...int64) onnxAttr { return onnxAttr{Type: attrInts, Ints: v} }
	floats := func(v ...float32) onnxAttr { return onnxAttr{Type: attrFloats, Floats: v} }
	var nodes []onnxNode
	for k := range 2 {
		p := []string{"t0_", "t1_"}[k]
		nodes = append(nodes,
			onnxNode{In: []string{"X", p + "cols"}, Out: []string{p + "g"}, Op: "Gather",
				Attrs: map[string]onnxAttr{"axis": {Type: attrInt, I: 1}}},
			onnxNode{In: []string{p + "g"}, Out: []string{p + "leaf"}, Op: "TreeEnsembleRegressor", Domain: "ai.onnx.ml",
				Attrs: map[string]onnxAttr{
					"n_targets":          {Type: attrInt, I: 1},
					"post_transform":     {Type: attrString, S: "NONE"},
					"nodes_treeids":      ints(0, 0, 0),
					"nodes_nodeids":      ints(0, 1, 2),
					"nodes_featureids":   ints(1, 0, 0),
					"nodes_modes":        {Type: attrStrings, Strings: []string{"BRANCH_LEQ", "LEAF", "LEAF"}},
					"nodes_values":       floats(float32(k)+0.5, 0, 0),
					"nodes_truenodeids":  ints(1, 0, 0),
					"nodes_falsenodeids": ints(2, 0, 0),
					"target_treeids":     ints(0, 0),
					"target_nodeids":     ints(1, 2),
					"target_ids":         ints(0, 0),
					"target_weights":     floats(1, 2),
				}},
			onnxNode{In: []string{p + "leaf"}, Out: []string{p + "id"}, Op: "Cast",
				Attrs: map[string]onnxAttr{"to": {Type: attrInt, I: onnxInt64}}},
			onnxNode{In: []string{p + "id"}, Out: []string{p + "v"}, Op: "LabelEncoder", Domain: "ai.onnx.ml",
				Attrs: map[string]onnxAttr{"keys_int64s": ints(1, 2), "values_floats": floats(5+float32(k), 7)}},
			onnxNode{In: []string{p + "v", "half"}, Out: []string{p + "end"}, Op: "Add"},
		)
	}
	nodes = append(nodes,
		onnxNode{In: []string{"t0_end", "t1_end"}, Out: []string{"sum"}, Op: "Sum"},
		onnxNode{In: []string{"sum"}, Out: []string{"score"}, Op: "Neg"})
	nodes = append(nodes, extra...)

	var graph []byte
	for _, n := range nodes {
		names := make([]string, 0, len(n.Attrs))
		for name := range n.Attrs {
			names = append(names, name)
		}
		slices.Sort(names)
		graph = protowire.AppendTag(graph, graphNode, protowire.BytesType)
		graph = protowire.AppendBytes(graph, encodeNode(n, names))
	}
	init := func(name string, elem int32, dims []int64, ints []int64, fs []float32) {
		var t []byte
		for _, d := range dims {
			t = protowire.AppendTag(t, 1, protowire.VarintType)
			t = protowire.AppendVarint(t, uint64(d))
		}
		t = protowire.AppendTag(t, 2, protowire.VarintType)
		t = protowire.AppendVarint(t, uint64(elem))
		for _, f := range fs {
			t = protowire.AppendTag(t, 4, protowire.Fixed32Type)
			t = protowire.AppendFixed32(t, math.Float32bits(f))
		}
		for _, x := range ints {
			t = protowire.AppendTag(t, 7, protowire.VarintType)
			t = protowire.AppendVarint(t, uint64(x))
		}
		t = protowire.AppendTag(t, 8, protowire.BytesType)
		t = protowire.AppendString(t, name)
		graph = protowire.AppendTag(graph, graphInitializer, protowire.BytesType)
		graph = protowire.AppendBytes(graph, t)
	}
	init("t0_cols", onnxInt64, []int64{3}, []int64{2, 0, 1}, nil)
	init("t1_cols", onnxInt64, []int64{3}, []int64{1, 2, 0}, nil)
	init("half", onnxFloat, []int64{1}, nil, []float32{1.5})
	init("unused", onnxFloat, []int64{1}, nil, []float32{3})
	for num, name := range map[protowire.Number]string{graphInput: "X", graphOutput: "score"} {
		var vi []byte
		vi = protowire.AppendTag(vi, 1, protowire.BytesType)
		vi = protowire.AppendString(vi, name)
		graph = protowire.AppendTag(graph, num, protowire.BytesType)
		graph = protowire.AppendBytes(graph, vi)
	}
	var model []byte
	model = protowire.AppendTag(model, 1, protowire.VarintType)
	model = protowire.AppendVarint(model, 8)
	model = protowire.AppendTag(model, 7, protowire.BytesType)
	return protowire.AppendBytes(model, graph)
}

// TestFuseForest folds two trees' arithmetic into one tree ensemble's leaf
// weights, maps the gathered features back to the input's columns, and
// keeps the rest of the graph.
func TestFuseForest(t *testing.T) {
	out, err := fuseForest(testForest())
	if err != nil {
		t.Fatal(err)
	}
	g, err := parseGraph(out)
	if err != nil {
		t.Fatal(err)
	}
	var ops []string
	for _, n := range g.Nodes {
		ops = append(ops, n.Op)
	}
	if !slices.Equal(ops, []string{"TreeEnsembleRegressor", "Neg"}) {
		t.Fatalf("fused graph's operators = %v, want the merged trees and the Neg", ops)
	}
	te := g.Nodes[0]
	if !slices.Equal(te.In, []string{"X"}) || !slices.Equal(te.Out, []string{"sum"}) {
		t.Errorf("merged trees read %v and write %v, want X and sum", te.In, te.Out)
	}
	a := te.Attrs
	// Tree 0 splits on its gathered feature 1, column 0 of X; tree 1 on
	// its feature 1, column 2.
	if got := a["nodes_featureids"].Ints; !slices.Equal(got, []int64{0, 0, 0, 2, 0, 0}) {
		t.Errorf("nodes_featureids = %v", got)
	}
	if got := a["nodes_treeids"].Ints; !slices.Equal(got, []int64{0, 0, 0, 1, 1, 1}) {
		t.Errorf("nodes_treeids = %v", got)
	}
	// Leaf 1 answers id 1 -> 5+k, leaf 2 id 2 -> 7; plus 1.5.
	if got := a["target_weights"].Floats; !slices.Equal(got, []float32{6.5, 8.5, 7.5, 8.5}) {
		t.Errorf("target_weights = %v", got)
	}
	if got := a["target_treeids"].Ints; !slices.Equal(got, []int64{0, 0, 1, 1}) {
		t.Errorf("target_treeids = %v", got)
	}
	if a["aggregate_function"].S != "SUM" || a["n_targets"].I != 1 {
		t.Errorf("aggregate %q, %d targets", a["aggregate_function"].S, a["n_targets"].I)
	}
	if _, ok := g.Inits["half"]; ok {
		t.Error("the folded constant is still an initializer")
	}
	if _, ok := g.Inits["unused"]; ok {
		t.Error("an initializer no node reads was kept")
	}
	if !slices.Equal(g.Inputs, []string{"X"}) || !slices.Equal(g.Outputs, []string{"score"}) {
		t.Errorf("inputs %v, outputs %v", g.Inputs, g.Outputs)
	}
}

// TestFuseForestLeavesOthers: a model that strays from the pattern is not
// rewritten.
func TestFuseForestLeavesOthers(t *testing.T) {
	for name, model := range map[string][]byte{
		// A tree's value read by another node than the Sum: folding would
		// lose it.
		"value used twice": testForest(onnxNode{In: []string{"t0_v", "X"}, Out: []string{"side"}, Op: "Add"}),
		// An operator the folding does not know.
		"unknown operator": func() []byte {
			b := testForest()
			g, _ := parseGraph(b)
			var nodes [][]byte
			for _, n := range g.Nodes {
				if n.Op == "Add" {
					n.Op = "Mod"
					nodes = append(nodes, encodeNode(n, nil))
					continue
				}
				nodes = append(nodes, n.raw)
			}
			out, _ := rewriteGraph(b, nodes, nil)
			return out
		}(),
	} {
		if _, err := fuseForest(model); !errors.Is(err, errNotForest) {
			t.Errorf("%s: fuseForest = %v, want errNotForest", name, err)
		}
	}
	noTrees, err := rewriteGraph(testForest(), [][]byte{encodeNode(onnxNode{In: []string{"X"}, Out: []string{"score"}, Op: "Neg"}, nil)}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := fuseForest(noTrees); !errors.Is(err, errNotForest) {
		t.Errorf("a model without trees: fuseForest = %v, want errNotForest", err)
	}
	if _, err := fuseForest([]byte("garbage, not a model")); err == nil {
		t.Error("fuseForest read garbage")
	}
}
