package inference

import (
	"errors"
	"fmt"
	"slices"
)

// AsExportedEnv names the environment variable that, set to 1, makes Open
// give ONNX Runtime a model exactly as it was exported, without the forest
// rewrite of fuseForest: the escape hatch should a rewritten model ever
// score differently.
const AsExportedEnv = "BEAMLENS_ONNX_AS_EXPORTED"

// errNotForest says a model is not the per-tree pattern fuseForest
// rewrites; Open then loads it unchanged.
var errNotForest = errors.New("not a forest of per-tree TreeEnsembleRegressor nodes")

// fuseForest rewrites a forest that skl2onnx exported one tree at a time
// into one TreeEnsembleRegressor. skl2onnx writes an IsolationForest as,
// per tree, a Gather of the tree's features, a TreeEnsembleRegressor that
// answers the leaf's id, and some 25 nodes of arithmetic that turn the
// leaf into the tree's path length, then a Sum over the trees: 2,710 nodes
// for 100 trees. ONNX Runtime runs that 7 times slower in CPU time than
// the same forest as one operator (33 times in wall time on a loaded
// machine, BENCHMARKS.md): thousands of tiny [rows,1] by [1] kernels, each
// paying its dispatch and allocation. It also takes seconds to create a
// session for it.
//
// Each tree's arithmetic depends on nothing but the leaf reached, so it is
// computed here once per leaf (onnxfold.go) and becomes that leaf's weight
// in one TreeEnsembleRegressor that sums over all the trees; that operator
// replaces the Sum, and the rest of the graph (the score and the label) is
// kept as it is. The arithmetic is computed in float32 as ONNX Runtime
// computes it; the sum of the trees is then ONNX Runtime's own, in another
// order, so scores agree to float32 rounding.
//
// A model that does not match this pattern exactly (any operator or
// operand the folding does not know, a tree's value used elsewhere, the
// trees not joined by one Sum) is returned with an error wrapping
// errNotForest, and must be used as it is.
func fuseForest(model []byte) ([]byte, error) {
	g, err := parseGraph(model)
	if err != nil {
		return nil, err
	}
	f := forestOf(g)
	var trees []forestTree
	for i, n := range g.Nodes {
		if n.Op != "TreeEnsembleRegressor" || n.Domain != "ai.onnx.ml" {
			continue
		}
		t, err := f.tree(i)
		if err != nil {
			return nil, fmt.Errorf("%w: %v", errNotForest, err)
		}
		trees = append(trees, t)
	}
	if len(trees) < 2 {
		return nil, fmt.Errorf("%w: %d tree ensemble nodes", errNotForest, len(trees))
	}
	join := trees[0].join
	var ends []string
	for _, t := range trees {
		if t.join != join {
			return nil, fmt.Errorf("%w: trees joined by different nodes", errNotForest)
		}
		ends = append(ends, t.end)
	}
	j := g.Nodes[join]
	if j.Op != "Sum" || j.Domain != "" || len(j.Out) != 1 || !sameSet(j.In, ends) {
		return nil, fmt.Errorf("%w: trees joined by %s, not a Sum of them all", errNotForest, j.Op)
	}
	merged, err := mergeTrees(g, trees, j.Out[0])
	if err != nil {
		return nil, fmt.Errorf("%w: %v", errNotForest, err)
	}

	gone := map[int]bool{join: true}
	for _, t := range trees {
		gone[t.node] = true
		if t.gather >= 0 {
			gone[t.gather] = true
		}
		for _, c := range t.chain {
			gone[c] = true
		}
	}
	var nodes [][]byte
	used := map[string]bool{}
	for i, n := range g.Nodes {
		switch {
		case i == join:
			nodes = append(nodes, merged)
			used[f.x] = true
		case !gone[i]:
			nodes = append(nodes, n.raw)
			for _, in := range n.In {
				used[in] = true
			}
		}
	}
	for _, o := range g.Outputs {
		used[o] = true
	}
	drop := map[string]bool{}
	for name := range g.Inits {
		if !used[name] && !slices.Contains(g.Inputs, name) {
			drop[name] = true
		}
	}
	return rewriteGraph(model, nodes, drop)
}

func sameSet(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	a, b = slices.Clone(a), slices.Clone(b)
	slices.Sort(a)
	slices.Sort(b)
	return slices.Equal(a, b) && len(slices.Compact(a)) == len(b)
}

// forest indexes a graph for finding its trees.
type forest struct {
	g         *onnxGraph
	x         string // the graph's one input that is not an initializer
	consumers map[string][]int
	producer  map[string]int
	output    map[string]bool
}

func forestOf(g *onnxGraph) *forest {
	f := &forest{g: g, consumers: map[string][]int{}, producer: map[string]int{}, output: map[string]bool{}}
	for _, in := range g.Inputs {
		if _, ok := g.Inits[in]; !ok {
			f.x = in
		}
	}
	for i, n := range g.Nodes {
		for _, o := range n.Out {
			f.producer[o] = i
		}
		for _, in := range n.In {
			f.consumers[in] = append(f.consumers[in], i)
		}
	}
	for _, o := range g.Outputs {
		f.output[o] = true
	}
	return f
}

// forestTree is one tree as exported: its TreeEnsembleRegressor node, the
// Gather feeding it (-1 if it reads the input directly) with the input's
// column of each of the tree's features, the arithmetic nodes after it
// (in graph order), the value they end in and the node that joins it with
// the other trees, and each leaf's contribution.
type forestTree struct {
	node, gather int
	columns      []int64
	chain        []int
	end          string
	join         int
	leaves       map[int64]float32
}

func (f *forest) tree(i int) (forestTree, error) {
	t := forestTree{node: i, gather: -1, join: -1}
	n := f.g.Nodes[i]
	if len(n.In) != 1 || len(n.Out) != 1 {
		return t, fmt.Errorf("tree node %q has %d inputs and %d outputs", n.Name, len(n.In), len(n.Out))
	}
	if n.In[0] != f.x {
		p, ok := f.producer[n.In[0]]
		if !ok {
			return t, fmt.Errorf("tree node %q reads %q", n.Name, n.In[0])
		}
		gather := f.g.Nodes[p]
		idx, known := f.g.Inits[gather.In[len(gather.In)-1]]
		if gather.Op != "Gather" || gather.Domain != "" || len(gather.In) != 2 || gather.In[0] != f.x ||
			gather.Attrs["axis"].I != 1 || !known || !idx.Known || idx.ElemType != onnxInt64 || len(idx.Dims) != 1 ||
			len(f.consumers[n.In[0]]) != 1 || f.output[n.In[0]] {
			return t, fmt.Errorf("tree node %q reads %q, not a Gather of the input's columns", n.Name, n.In[0])
		}
		t.gather = p
		for _, c := range idx.Values {
			t.columns = append(t.columns, int64(c))
		}
	}

	// The tree's arithmetic: the nodes downstream of it whose every input
	// is one of its values or a constant, in graph order (which ONNX
	// makes topological).
	own := map[string]bool{n.Out[0]: true}
	for _, j := range f.downstream(n.Out[0]) {
		m := f.g.Nodes[j]
		touches, all := false, true
		for _, in := range m.In {
			_, constant := f.g.Inits[in]
			switch {
			case own[in]:
				touches = true
			case !constant:
				all = false
			}
		}
		if !touches {
			continue
		}
		if all {
			t.chain = append(t.chain, j)
			for _, o := range m.Out {
				own[o] = true
			}
			continue
		}
		if t.join >= 0 {
			return t, fmt.Errorf("tree node %q: its values reach two other nodes", n.Name)
		}
		t.join = j
		for _, in := range m.In {
			if own[in] {
				if t.end != "" && t.end != in {
					return t, fmt.Errorf("tree node %q: two of its values reach %q", n.Name, m.Name)
				}
				t.end = in
			}
		}
	}
	if t.join < 0 {
		return t, fmt.Errorf("tree node %q is not joined with the other trees", n.Name)
	}
	for v := range own {
		if f.output[v] {
			return t, fmt.Errorf("tree node %q: its value %q is a graph output", n.Name, v)
		}
	}
	return t, f.fold(&t)
}

// downstream returns the nodes that read v, or read what they write, and
// so on, in graph order.
func (f *forest) downstream(v string) []int {
	seen := map[int]bool{}
	next := []string{v}
	for len(next) > 0 {
		v, next = next[len(next)-1], next[:len(next)-1]
		for _, j := range f.consumers[v] {
			if !seen[j] {
				seen[j] = true
				next = append(next, f.g.Nodes[j].Out...)
			}
		}
	}
	out := make([]int, 0, len(seen))
	for j := range seen {
		out = append(out, j)
	}
	slices.Sort(out)
	return out
}

// fold computes each leaf's contribution: the tree node's output for the
// leaf, through the tree's arithmetic, to its end value.
func (f *forest) fold(t *forestTree) error {
	n := f.g.Nodes[t.node]
	a := n.Attrs
	for name := range a {
		if !treeAttrs[name] {
			return fmt.Errorf("tree node %q has attribute %s", n.Name, name)
		}
	}
	if nt, ok := a["n_targets"]; ok && nt.I != 1 {
		return fmt.Errorf("tree node %q has %d targets", n.Name, nt.I)
	}
	if pt, ok := a["post_transform"]; ok && pt.S != "NONE" {
		return fmt.Errorf("tree node %q has post transform %s", n.Name, pt.S)
	}
	for _, b := range a["base_values"].Floats {
		if b != 0 {
			return fmt.Errorf("tree node %q has base values", n.Name)
		}
	}
	ids, modes := a["nodes_nodeids"].Ints, a["nodes_modes"].Strings
	trees := a["nodes_treeids"].Ints
	if len(ids) == 0 || len(modes) != len(ids) || len(trees) != len(ids) {
		return fmt.Errorf("tree node %q: nodes attributes of different lengths", n.Name)
	}
	for _, tr := range trees {
		if tr != trees[0] {
			return fmt.Errorf("tree node %q holds several trees", n.Name)
		}
	}
	tw, tn, tt, ti := a["target_weights"].Floats, a["target_nodeids"].Ints, a["target_treeids"].Ints, a["target_ids"].Ints
	if len(tn) != len(tw) || len(tt) != len(tw) || len(ti) != len(tw) {
		return fmt.Errorf("tree node %q: target attributes of different lengths", n.Name)
	}
	// The tree node's output per leaf, as ONNX Runtime sums its votes.
	leafOut := map[int64]float32{}
	for k, id := range ids {
		if modes[k] == "LEAF" {
			leafOut[id] = 0
		}
	}
	for k := range tw {
		if _, ok := leafOut[tn[k]]; !ok || ti[k] != 0 || tt[k] != trees[0] {
			return fmt.Errorf("tree node %q: a vote for node %d of tree %d, target %d", n.Name, tn[k], tt[k], ti[k])
		}
		leafOut[tn[k]] += tw[k]
	}
	t.leaves = map[int64]float32{}
	for leaf, out := range leafOut {
		vals := map[string]scalar{n.Out[0]: {V: float64(out), T: onnxFloat}}
		for _, c := range t.chain {
			m := f.g.Nodes[c]
			v, err := foldNode(m, vals, f.g.Inits)
			if err != nil {
				return err
			}
			vals[m.Out[0]] = v
		}
		end, ok := vals[t.end]
		if !ok || end.T != onnxFloat {
			return fmt.Errorf("tree node %q: its end value %q is not float32", n.Name, t.end)
		}
		t.leaves[leaf] = float32(end.V)
	}
	return nil
}

// treeAttrs are the TreeEnsembleRegressor attributes fold understands;
// a tree node with any other (the *_as_tensor ones) is left as it is.
var treeAttrs = map[string]bool{
	"nodes_treeids": true, "nodes_nodeids": true, "nodes_featureids": true, "nodes_modes": true,
	"nodes_values": true, "nodes_truenodeids": true, "nodes_falsenodeids": true,
	"nodes_missing_value_tracks_true": true, "nodes_hitrates": true,
	"target_treeids": true, "target_nodeids": true, "target_ids": true, "target_weights": true,
	"n_targets": true, "post_transform": true, "aggregate_function": true, "base_values": true,
}

// mergeTrees encodes one TreeEnsembleRegressor holding every tree, tree k
// renumbered k, each feature the input's column, each leaf voting its
// contribution, the votes summed into out.
func mergeTrees(g *onnxGraph, trees []forestTree, out string) ([]byte, error) {
	var treeIDs, nodeIDs, features, trueIDs, falseIDs, missing []int64
	var modes []string
	var values []float32
	var tTree, tNode, tTarget []int64
	var tWeight []float32
	var x string
	for k, t := range trees {
		n := g.Nodes[t.node]
		a := n.Attrs
		ids := a["nodes_nodeids"].Ints
		fs, vs := a["nodes_featureids"].Ints, a["nodes_values"].Floats
		ts, fls := a["nodes_truenodeids"].Ints, a["nodes_falsenodeids"].Ints
		ms := a["nodes_missing_value_tracks_true"].Ints
		if len(fs) != len(ids) || len(vs) != len(ids) || len(ts) != len(ids) || len(fls) != len(ids) || (ms != nil && len(ms) != len(ids)) {
			return nil, fmt.Errorf("tree node %q: nodes attributes of different lengths", n.Name)
		}
		if x == "" {
			x = n.In[0]
			if t.gather >= 0 {
				x = g.Nodes[t.gather].In[0]
			}
		}
		for j, id := range ids {
			mode := a["nodes_modes"].Strings[j]
			feature := fs[j]
			if t.columns != nil && mode != "LEAF" {
				if feature < 0 || feature >= int64(len(t.columns)) {
					return nil, fmt.Errorf("tree node %q: feature %d of %d gathered", n.Name, feature, len(t.columns))
				}
				feature = t.columns[feature]
			}
			treeIDs = append(treeIDs, int64(k))
			nodeIDs = append(nodeIDs, id)
			features = append(features, feature)
			modes = append(modes, mode)
			values = append(values, vs[j])
			trueIDs = append(trueIDs, ts[j])
			falseIDs = append(falseIDs, fls[j])
			m := int64(0)
			if ms != nil {
				m = ms[j]
			}
			missing = append(missing, m)
			if mode == "LEAF" {
				tTree = append(tTree, int64(k))
				tNode = append(tNode, id)
				tTarget = append(tTarget, 0)
				tWeight = append(tWeight, t.leaves[id])
			}
		}
	}
	node := onnxNode{
		In: []string{x}, Out: []string{out},
		Name: "beamlens_fused_forest", Op: "TreeEnsembleRegressor", Domain: "ai.onnx.ml",
		Attrs: map[string]onnxAttr{
			"aggregate_function":              {Type: attrString, S: "SUM"},
			"n_targets":                       {Type: attrInt, I: 1},
			"post_transform":                  {Type: attrString, S: "NONE"},
			"nodes_treeids":                   {Type: attrInts, Ints: treeIDs},
			"nodes_nodeids":                   {Type: attrInts, Ints: nodeIDs},
			"nodes_featureids":                {Type: attrInts, Ints: features},
			"nodes_modes":                     {Type: attrStrings, Strings: modes},
			"nodes_values":                    {Type: attrFloats, Floats: values},
			"nodes_truenodeids":               {Type: attrInts, Ints: trueIDs},
			"nodes_falsenodeids":              {Type: attrInts, Ints: falseIDs},
			"nodes_missing_value_tracks_true": {Type: attrInts, Ints: missing},
			"target_treeids":                  {Type: attrInts, Ints: tTree},
			"target_nodeids":                  {Type: attrInts, Ints: tNode},
			"target_ids":                      {Type: attrInts, Ints: tTarget},
			"target_weights":                  {Type: attrFloats, Floats: tWeight},
		},
	}
	order := make([]string, 0, len(node.Attrs))
	for name := range node.Attrs {
		order = append(order, name)
	}
	slices.Sort(order)
	return encodeNode(node, order), nil
}
