package windowstats

import (
	"fmt"

	"github.com/apache/beam/sdks/v2/go/pkg/beam"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/register"
	"github.com/beamlens/beamlens/internal/spill"
)

func init() {
	register.DoFn3x1[string, []byte, func(int, []byte), error](&spillPartialFn{})
	register.Emitter2[int, []byte]()
}

// groupSpilled is groupPartials through spill files (Options.SpillDir):
// PCollection<KV<int, Iterable<[]byte>>> whose values are spill refs to
// shardPartial's values. Prism holds a GroupByKey's whole input in memory
// (window partials of 10M readings peaked at ~4 GB of a threshold run);
// the refs are a few dozen bytes per partial block of ~100 KiB. The
// spilling ParDo follows the fused stage directly, so prism fuses it in
// and a partial never becomes a runner element.
func groupSpilled(s beam.Scope, partials beam.PCollection, dir string) beam.PCollection {
	return beam.GroupByKey(s, beam.ParDo(s, &spillPartialFn{Dir: dir}, partials))
}

// spillPartialFn appends each partial, keyed as shardPartial keys it, to a
// spill file of its bundle and emits KV<shard, ref>.
type spillPartialFn struct {
	Dir string
	w   spill.Writer
}

func (fn *spillPartialFn) ProcessElement(key string, partial []byte, emit func(int, []byte)) error {
	shard, v := shardPartial(key, partial)
	fn.w.Dir, fn.w.Pattern = fn.Dir, "partials-*.spill"
	ref, err := fn.w.Append(v)
	if err != nil {
		return fmt.Errorf("windowstats: %w", err)
	}
	emit(shard, ref)
	return nil
}

// FinishBundle closes the bundle's file, before the GroupByKey hands its
// refs on. Beam wants the emitter here too; nothing is emitted.
func (fn *spillPartialFn) FinishBundle(_ func(int, []byte)) error { return fn.w.Close() }

// unspill reads a group's spilled values back: an iterator over them like
// the GroupByKey's own. Memory is the group's encoded partials, which
// byKey holds anyway.
func unspill(refs func(*[]byte) bool) (func(*[]byte) bool, error) {
	var files spill.Files
	defer files.Close()
	var vals [][]byte
	var ref []byte
	for refs(&ref) {
		v, err := files.Bytes(ref)
		if err != nil {
			return nil, fmt.Errorf("windowstats: spilled partials: %w", err)
		}
		vals = append(vals, v)
	}
	return func(v *[]byte) bool {
		if len(vals) == 0 {
			return false
		}
		*v, vals = vals[0], vals[1:]
		return true
	}, nil
}
