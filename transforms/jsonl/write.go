package jsonl

import (
	"bufio"
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"github.com/beamlens/beamlens/internal/stageout"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/apache/beam/sdks/v2/go/pkg/beam"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/core/graph/window"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/register"
	"github.com/beamlens/beamlens/internal/metrics"
)

func init() {
	register.DoFn2x1[[]byte, func(Shard), error](&writeShardFn{})
	register.Emitter1[Shard]()
	register.DoFn2x0[[]byte, func(Shard)](&noShardFn{})
	register.DoFn3x1[int, func(*Shard) bool, func(Shard), error](&finalizeFn{})
	register.Iter1[Shard]()
	register.DoFn3x1[beam.EventTime, []byte, func([]byte), error](&stdoutFn{})
}

// Write writes every element of a PCollection<[]byte> (one JSON record, or
// several separated by '\n', without a final newline) as lines of the file
// at path, creating its directory. The file appears atomically when the
// collection is complete, and exists (empty) when the collection is. It is
// meant for bounded collections.
//
// Each bundle writes its records to a hidden shard file next to path, so the
// output bytes never travel through the runner again (on prism they used to
// be gathered as a side input: the whole output held in the runner's memory
// and copied to one worker); one small finalizing step concatenates the
// shards of the bundles that committed, in name order, renames the result to
// path and removes every shard of this write, including those of retried
// bundles. Workers must therefore share the output directory (one host, as
// with prism, direct and a one-host Flink, or a shared file system). Line
// order across bundles is not defined.
func Write(s beam.Scope, path string, col beam.PCollection) {
	s = s.Scope("jsonl.Write")
	if path == "" {
		panic("jsonl.Write: empty path")
	}
	token := NewToken()
	global := beam.WindowInto(s, window.NewGlobalWindows(), col)
	WriteShards(s, path, token, beam.ParDo(s, &writeShardFn{W: ShardWriter{Path: path, Token: token}}, global))
}

// NewToken returns a fresh token naming one write's shards.
func NewToken() string {
	token := make([]byte, 6)
	if _, err := rand.Read(token); err != nil {
		panic(fmt.Sprintf("jsonl: %v", err))
	}
	return hex.EncodeToString(token)
}

// WriteShards makes the file at path from PCollection<Shard>, the shards
// that ShardWriters with this token wrote: as Write, it joins them in name
// order when the collection is complete, renames the result to path and
// removes every shard of the token. For a transform that produces its
// records in bulk and writes them itself (windowstats.WriteJSONL), so that
// they never travel through the runner.
func WriteShards(s beam.Scope, path, token string, shards beam.PCollection) {
	// One empty shard from an impulse, so the finalizing group always has a
	// member and an empty collection still yields its (empty) file.
	none := beam.ParDo(s, &noShardFn{}, beam.Impulse(s))
	all := beam.Flatten(s, beam.WindowInto(s, window.NewGlobalWindows(), shards), none)
	grouped := beam.GroupByKey(s, beam.AddFixedKey(s, all))
	done := beam.ParDo(s, &finalizeFn{Path: path, Token: token}, grouped)
	stageout.Discard(s, done)
}

// ShardWriter writes records to one shard file of the write to Path named
// by Token, opened at the first record. A DoFn holds one per bundle (or
// per element) and closes it before the bundle ends; a shard that is never
// closed is an orphan the finalizing step removes.
type ShardWriter struct {
	Path, Token string

	f     *os.File
	w     *bufio.Writer
	lines int64
}

// Write appends rec (one JSON record, or several separated by '\n',
// without a final newline) as lines of the shard.
func (sw *ShardWriter) Write(rec []byte) error {
	if sw.f == nil {
		if err := os.MkdirAll(filepath.Dir(sw.Path), 0o755); err != nil {
			return fmt.Errorf("jsonl.Write: %w", err)
		}
		pattern := strings.TrimSuffix(filepath.Base(shardPattern(sw.Path, sw.Token)), "*") + "*"
		f, err := os.CreateTemp(filepath.Dir(sw.Path), pattern)
		if err != nil {
			return fmt.Errorf("jsonl.Write: %w", err)
		}
		sw.f, sw.w, sw.lines = f, bufio.NewWriterSize(f, 1<<20), 0
	}
	sw.w.Write(rec)
	if err := sw.w.WriteByte('\n'); err != nil {
		return fmt.Errorf("jsonl.Write %s: %w", sw.f.Name(), err)
	}
	sw.lines += lineCount(rec)
	return nil
}

// Close flushes and closes the shard and returns it; ok is false when
// nothing was written.
func (sw *ShardWriter) Close() (_ Shard, ok bool, err error) {
	if sw.f == nil {
		return Shard{}, false, nil
	}
	f := sw.f
	sw.f = nil
	if err := sw.w.Flush(); err != nil {
		f.Close()
		return Shard{}, false, fmt.Errorf("jsonl.Write %s: %w", f.Name(), err)
	}
	if err := f.Close(); err != nil {
		return Shard{}, false, fmt.Errorf("jsonl.Write %s: %w", f.Name(), err)
	}
	return Shard{File: f.Name(), Lines: sw.lines}, true, nil
}

// Abandon closes the shard of a bundle that failed: the file stays, an
// orphan the finalizing step removes.
func (sw *ShardWriter) Abandon() {
	if sw.f != nil {
		sw.f.Close()
		sw.f = nil
	}
}

// Shard names one bundle's part of a file Write makes, a hidden file next
// to the output, and how many lines it holds; the zero Shard (empty File)
// is the impulse's placeholder.
type Shard struct {
	File  string
	Lines int64
}

// shardPattern is the glob of every shard of one write: hidden, next to the
// output, named after it and the write's token.
func shardPattern(path, token string) string {
	return filepath.Join(filepath.Dir(path), "."+filepath.Base(path)+"."+token+".shard-*")
}

// RemoveLeftovers removes what a stopped or crashed Write to path may have
// left next to it: the hidden shards and the temporary join of any earlier
// write (a job cancelled at once never reaches its finalizing step). It
// leaves path itself alone, and reports the first removal that failed.
func RemoveLeftovers(path string) error {
	var first error
	for _, pattern := range []string{shardPattern(path, "*"), filepath.Join(filepath.Dir(path), "."+filepath.Base(path)+".tmp-*")} {
		names, _ := filepath.Glob(pattern)
		for _, name := range names {
			if err := os.Remove(name); err != nil && !os.IsNotExist(err) && first == nil {
				first = err
			}
		}
	}
	return first
}

// writeShardFn writes one bundle's records to its own shard file and emits
// the shard when the bundle finishes.
type writeShardFn struct {
	W ShardWriter
}

// StartBundle abandons the shard of a bundle that failed on this instance:
// its file is an orphan that finalizeFn removes, and the retried bundle
// starts a shard of its own, so no record is written twice.
func (fn *writeShardFn) StartBundle(_ func(Shard)) { fn.W.Abandon() }

// The emitter is unused here (shards leave in FinishBundle) but names its
// type for Beam's generic registration.
func (fn *writeShardFn) ProcessElement(rec []byte, _ func(Shard)) error { return fn.W.Write(rec) }

func (fn *writeShardFn) FinishBundle(emit func(Shard)) error {
	sh, ok, err := fn.W.Close()
	if ok {
		emit(sh)
	}
	return err
}

// noShardFn turns the impulse into the placeholder shard.
type noShardFn struct{}

func (noShardFn) ProcessElement(_ []byte, emit func(Shard)) { emit(Shard{}) }

// finalizeFn joins the committed shards into the output file.
type finalizeFn struct {
	Path, Token string
}

// The emitter is never called: it gives the step an output for
// stageout.Discard.
func (fn *finalizeFn) ProcessElement(_ int, shards func(*Shard) bool, _ func(Shard)) error {
	var files []string
	var lines int64
	var sh Shard
	for shards(&sh) {
		if sh.File != "" {
			files = append(files, sh.File)
			lines += sh.Lines
		}
	}
	sort.Strings(files)
	if err := os.MkdirAll(filepath.Dir(fn.Path), 0o755); err != nil {
		return fmt.Errorf("jsonl.Write: %w", err)
	}
	tmp, err := fn.join(files)
	if err != nil {
		return err
	}
	if err := os.Chmod(tmp, 0o644); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("jsonl.Write: %w", err)
	}
	if err := os.Rename(tmp, fn.Path); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("jsonl.Write: %w", err)
	}
	// Shards of bundles that failed and were retried never reached the
	// group; they go too.
	left, _ := filepath.Glob(shardPattern(fn.Path, fn.Token))
	for _, f := range left {
		os.Remove(f)
	}
	metrics.RecordsWritten.Add(float64(lines))
	return nil
}

// join gives the name of one file holding the shards' bytes in order: the
// only shard itself, or a new file they are copied into (copy_file_range
// where the kernel has it).
func (fn *finalizeFn) join(files []string) (string, error) {
	if len(files) == 1 {
		return files[0], nil
	}
	tmp, err := os.CreateTemp(filepath.Dir(fn.Path), "."+filepath.Base(fn.Path)+".tmp-*")
	if err != nil {
		return "", fmt.Errorf("jsonl.Write: %w", err)
	}
	for _, name := range files {
		if err := appendFile(tmp, name); err != nil {
			tmp.Close()
			os.Remove(tmp.Name())
			return "", fmt.Errorf("jsonl.Write %s: %w", fn.Path, err)
		}
	}
	if err := tmp.Close(); err != nil {
		os.Remove(tmp.Name())
		return "", fmt.Errorf("jsonl.Write %s: %w", fn.Path, err)
	}
	return tmp.Name(), nil
}

func appendFile(dst *os.File, name string) error {
	src, err := os.Open(name)
	if err != nil {
		return err
	}
	defer src.Close()
	_, err = io.Copy(dst, src)
	return err
}

// WriteStdout writes every element of a PCollection<[]byte> as a line on the
// standard output of the worker process - the user's terminal with loopback
// workers (prism, direct, Flink LOOPBACK). Lines of concurrent bundles never
// interleave within a line.
func WriteStdout(s beam.Scope, col beam.PCollection) {
	s = s.Scope("jsonl.WriteStdout")
	stageout.Discard(s, beam.ParDo(s, &stdoutFn{}, col))
}

var (
	stdoutMu      sync.Mutex
	stdoutLatency = metrics.EventToOutput.WithLabelValues("stdout")
)

type stdoutFn struct{}

// The emitter is never called: it gives the step an output for
// stageout.Discard.
func (fn *stdoutFn) ProcessElement(et beam.EventTime, rec []byte, _ func([]byte)) error {
	line := make([]byte, 0, len(rec)+1)
	line = append(append(line, rec...), '\n')
	stdoutMu.Lock()
	defer stdoutMu.Unlock()
	if _, err := os.Stdout.Write(line); err != nil {
		return err
	}
	metrics.RecordsWritten.Add(float64(lineCount(rec)))
	metrics.ObserveEventTime(stdoutLatency, int64(et), time.Now())
	return nil
}

// lineCount is how many lines an element holds: a block of records
// (windowstats.MergePartialsJSON) holds one per '\n' plus the last.
func lineCount(rec []byte) int64 {
	return int64(bytes.Count(rec, []byte{'\n'})) + 1
}
