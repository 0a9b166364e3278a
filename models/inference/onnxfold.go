package inference

import (
	"fmt"
	"math"
)

// scalar is one row's value of a tensor that has one value per row, with
// its ONNX element type: the per-tree arithmetic of an exported forest
// works on [rows, 1] tensors and one-element constants only, so each leaf's
// contribution can be computed a value at a time.
type scalar struct {
	V float64
	T int32 // onnxFloat, onnxDouble, onnxInt64 or onnxBool
}

// round gives a float32 value float32's precision: binary operations on
// two float32 computed in float64 and rounded once are exactly IEEE's
// float32 results, as ONNX Runtime's kernels give.
func (s scalar) round() scalar {
	if s.T == onnxFloat {
		s.V = float64(float32(s.V))
	}
	return s
}

func boolScalar(b bool) scalar {
	if b {
		return scalar{V: 1, T: onnxBool}
	}
	return scalar{V: 0, T: onnxBool}
}

// foldNode computes node n's output for one row from vals (the row's values
// so far) and the graph's one-element constants. It fails for an operator
// or an operand it does not know to be element-wise on one value per row;
// the rewrite then leaves the model as it was exported.
func foldNode(n onnxNode, vals map[string]scalar, inits map[string]onnxInit) (scalar, error) {
	if len(n.Out) != 1 || (n.Domain != "" && n.Domain != "ai.onnx" && n.Domain != "ai.onnx.ml") {
		return scalar{}, fmt.Errorf("node %q (%s): not one output of the default domains", n.Name, n.Op)
	}
	arg := func(i int) (scalar, error) {
		if i >= len(n.In) {
			return scalar{}, fmt.Errorf("node %q (%s): no input %d", n.Name, n.Op, i)
		}
		if v, ok := vals[n.In[i]]; ok {
			return v, nil
		}
		t, ok := inits[n.In[i]]
		if !ok || !t.Known || len(t.Values) != 1 {
			return scalar{}, fmt.Errorf("node %q (%s): input %q is not a one-value constant", n.Name, n.Op, n.In[i])
		}
		return scalar{V: t.Values[0], T: t.ElemType}, nil
	}
	x, err := arg(0)
	if err != nil {
		return scalar{}, err
	}
	if n.Domain == "ai.onnx.ml" {
		if n.Op != "LabelEncoder" {
			return scalar{}, fmt.Errorf("node %q: operator ai.onnx.ml.%s", n.Name, n.Op)
		}
		return labelEncode(n, x)
	}
	switch n.Op {
	case "Identity":
		return x, nil
	case "Reshape":
		// A reshape to [-1, 1] or [-1] keeps one value per row.
		shape, ok := inits[n.In[len(n.In)-1]]
		if len(n.In) != 2 || !ok || !shape.Known {
			return scalar{}, fmt.Errorf("node %q: Reshape to a shape that is not a constant", n.Name)
		}
		for _, d := range shape.Values {
			if d != -1 && d != 1 {
				return scalar{}, fmt.Errorf("node %q: Reshape to %v", n.Name, shape.Values)
			}
		}
		return x, nil
	case "Cast":
		return castScalar(x, int32(n.Attrs["to"].I))
	case "Neg":
		if x.T == onnxBool {
			break
		}
		return scalar{V: -x.V, T: x.T}, nil
	case "Log", "Exp", "Sqrt", "Abs":
		if x.T != onnxFloat && x.T != onnxDouble {
			break
		}
		f := map[string]func(float64) float64{"Log": math.Log, "Exp": math.Exp, "Sqrt": math.Sqrt, "Abs": math.Abs}[n.Op]
		return scalar{V: f(x.V), T: x.T}.round(), nil
	case "Max", "Min", "Sum":
		acc := x
		for i := 1; i < len(n.In); i++ {
			y, err := arg(i)
			if err != nil {
				return scalar{}, err
			}
			if y.T != acc.T || acc.T == onnxBool {
				return scalar{}, fmt.Errorf("node %q (%s): operands of types %d and %d", n.Name, n.Op, acc.T, y.T)
			}
			switch n.Op {
			case "Max":
				acc.V = math.Max(acc.V, y.V)
			case "Min":
				acc.V = math.Min(acc.V, y.V)
			default:
				acc = scalar{V: acc.V + y.V, T: acc.T}.round()
			}
		}
		return acc, nil
	case "Add", "Sub", "Mul", "Div", "Pow", "Equal", "Less", "Greater", "LessOrEqual", "GreaterOrEqual":
		y, err := arg(1)
		if err != nil {
			return scalar{}, err
		}
		if len(n.In) != 2 || y.T != x.T || (x.T == onnxBool && n.Op != "Equal") {
			return scalar{}, fmt.Errorf("node %q (%s): operands of types %d and %d", n.Name, n.Op, x.T, y.T)
		}
		return binaryOp(n.Op, x, y)
	case "Where":
		a, errA := arg(1)
		b, errB := arg(2)
		if errA != nil || errB != nil || x.T != onnxBool || a.T != b.T {
			return scalar{}, fmt.Errorf("node %q: Where's operands", n.Name)
		}
		if x.V != 0 {
			return a, nil
		}
		return b, nil
	}
	return scalar{}, fmt.Errorf("node %q: operator %s on type %d", n.Name, n.Op, x.T)
}

func binaryOp(op string, x, y scalar) (scalar, error) {
	switch op {
	case "Equal":
		return boolScalar(x.V == y.V), nil
	case "Less":
		return boolScalar(x.V < y.V), nil
	case "Greater":
		return boolScalar(x.V > y.V), nil
	case "LessOrEqual":
		return boolScalar(x.V <= y.V), nil
	case "GreaterOrEqual":
		return boolScalar(x.V >= y.V), nil
	}
	if x.T == onnxInt64 && (op == "Div" || op == "Pow") {
		// Integer division and powers: not worth matching C++'s corners.
		return scalar{}, fmt.Errorf("%s on int64", op)
	}
	var v float64
	switch op {
	case "Add":
		v = x.V + y.V
	case "Sub":
		v = x.V - y.V
	case "Mul":
		v = x.V * y.V
	case "Div":
		v = x.V / y.V
	case "Pow":
		v = math.Pow(x.V, y.V)
	}
	if x.T == onnxInt64 && math.Abs(v) >= 1<<53 {
		return scalar{}, fmt.Errorf("int64 %s out of float64's exact range", op)
	}
	return scalar{V: v, T: x.T}.round(), nil
}

func castScalar(x scalar, to int32) (scalar, error) {
	switch to {
	case onnxFloat, onnxDouble:
		return scalar{V: x.V, T: to}.round(), nil
	case onnxInt64:
		if math.IsNaN(x.V) || math.Abs(x.V) >= 1<<53 {
			return scalar{}, fmt.Errorf("cast of %v to int64", x.V)
		}
		return scalar{V: math.Trunc(x.V), T: onnxInt64}, nil
	case onnxBool:
		return boolScalar(x.V != 0), nil
	}
	return scalar{}, fmt.Errorf("cast to element type %d", to)
}

// labelEncode maps x through a LabelEncoder's int64 or float keys to its
// float or int64 values, or to its default for a key it does not have.
func labelEncode(n onnxNode, x scalar) (scalar, error) {
	var keys []float64
	switch {
	case x.T == onnxInt64 && n.Attrs["keys_int64s"].Ints != nil:
		for _, k := range n.Attrs["keys_int64s"].Ints {
			keys = append(keys, float64(k))
		}
	case x.T == onnxFloat && n.Attrs["keys_floats"].Floats != nil:
		for _, k := range n.Attrs["keys_floats"].Floats {
			keys = append(keys, float64(k))
		}
	default:
		return scalar{}, fmt.Errorf("node %q: LabelEncoder's keys for type %d", n.Name, x.T)
	}
	var vals []float64
	var out scalar
	switch {
	case n.Attrs["values_floats"].Floats != nil:
		for _, v := range n.Attrs["values_floats"].Floats {
			vals = append(vals, float64(v))
		}
		out = scalar{V: math.Copysign(0, -1), T: onnxFloat}
		if d, ok := n.Attrs["default_float"]; ok {
			out.V = float64(d.F)
		}
	case n.Attrs["values_int64s"].Ints != nil:
		for _, v := range n.Attrs["values_int64s"].Ints {
			vals = append(vals, float64(v))
		}
		out = scalar{V: -1, T: onnxInt64}
		if d, ok := n.Attrs["default_int64"]; ok {
			out.V = float64(d.I)
		}
	default:
		return scalar{}, fmt.Errorf("node %q: LabelEncoder without float or int64 values", n.Name)
	}
	if len(keys) != len(vals) {
		return scalar{}, fmt.Errorf("node %q: %d keys for %d values", n.Name, len(keys), len(vals))
	}
	for i, k := range keys {
		if k == x.V {
			out.V = vals[i]
			break
		}
	}
	return out, nil
}
