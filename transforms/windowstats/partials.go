package windowstats

import (
	"cmp"
	"encoding/binary"
	"errors"
	"fmt"
	"github.com/beamlens/beamlens/transforms/jsonl"
	"hash/fnv"
	"maps"
	"math"
	"runtime"
	"slices"
	"strconv"
	"strings"

	"github.com/apache/beam/sdks/v2/go/pkg/beam"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/register"
	"github.com/beamlens/beamlens/models/events"
	"golang.org/x/sync/errgroup"
)

func init() {
	register.Function2x2(shardPartial)
	register.DoFn3x1[int, func(*[]byte) bool, func(events.WindowStats), error](&blockStatsFn{})
	register.DoFn3x1[int, func(*[]byte) bool, func([]byte), error](&blockJSONFn{})
	register.DoFn3x1[int, func(*[]byte) bool, func(jsonl.Shard), error](&blockFileFn{})
	register.Emitter1[jsonl.Shard]()
	register.Iter1[[]byte]()
	register.Emitter1[[]byte]()
	register.Emitter1[events.WindowStats]()
}

// BlockWindows is how many consecutive windows of one device's metric one
// partial carries. Partials are the elements that cross the shuffle: a
// device reporting once a minute fills a 5-minute window with 5 readings,
// so one partial per window would make Beam move, code and merge an element
// for every 5 readings (400k for the 1M-reading benchmark), which was the
// top of the profile; a block of 1024 windows is ~3.5 days of 5-minute
// windows and ~100 KiB encoded.
const BlockWindows = 1024

// Aggregator pre-aggregates window statistics inside one chunk of readings
// (combiner lifting by hand): one accumulator per (device, metric, window),
// flushed as partials, one per (device, metric, block of BlockWindows
// windows), for MergePartials. Exact values live in slabs shared by the
// chunk's windows, so adding a value allocates nothing per value. Not safe
// for concurrent use.
type Aggregator struct {
	opts Options
	// devices holds each device's series, one per metric: one map lookup
	// per reading, not per metric.
	devices map[string]*deviceSeries
	// windows is scratch for the windows a reading falls in.
	windows []int64
	// slab is where new windows take room for their first exact values.
	slab []float64
	// buf is scratch for encoding a block.
	buf []byte
}

// deviceSeries is one device's series, in the order its metrics were
// first seen. A device mostly sends a handful, found by a linear search;
// past linearSeries of them a map finds them, so a device that sends
// thousands costs time in proportion to them, not to their square.
type deviceSeries struct {
	list  []*series
	index map[string]*series // nil up to linearSeries series
}

// linearSeries is the most series deviceSeries.of searches one by one.
const linearSeries = 16

// series is one device's metric in a chunk: its windows in the order they
// were first seen. Readings mostly come in time order, so windows are
// found by their position while they arrive in order (sorted), and by a
// map built the first time one does not.
type series struct {
	metric string
	wins   []windowAcc
	sorted bool
	at     map[int64]int32 // nil while sorted
	last   int32           // the window touched last
}

type windowAcc struct {
	start int64
	acc   accumulator
}

// slabValues is the room a new window gets in the slab; a window that
// outgrows it moves to a slice of its own, as append does.
const slabValues = 8

// NewAggregator returns an empty Aggregator for windows shaped by opts.
// It panics on invalid options, like PerKey.
func NewAggregator(opts Options) *Aggregator {
	opts = opts.withDefaults()
	opts.validate()
	return &Aggregator{opts: opts, devices: map[string]*deviceSeries{}}
}

// Add counts r's metrics (those opts selects) in every window holding its
// event time.
func (g *Aggregator) Add(r *events.Reading) {
	g.windows = windowStarts(g.windows[:0], r.EventTimeMs, g.opts)
	d := g.devices[r.DeviceID]
	if d == nil {
		d = &deviceSeries{}
		g.devices[r.DeviceID] = d
	}
	for _, m := range r.Metrics {
		if len(g.opts.Metrics) > 0 && !contains(g.opts.Metrics, m.Name) {
			continue
		}
		s := d.of(m.Name)
		for _, start := range g.windows {
			g.window(s, start).add(m.Value)
		}
	}
}

// of returns the device's series of metric, new if need be.
func (d *deviceSeries) of(metric string) *series {
	if d.index != nil {
		if s := d.index[metric]; s != nil {
			return s
		}
	} else {
		for _, s := range d.list {
			if s.metric == metric {
				return s
			}
		}
	}
	s := &series{metric: metric, sorted: true, last: -1}
	d.list = append(d.list, s)
	switch {
	case d.index != nil:
		d.index[metric] = s
	case len(d.list) > linearSeries:
		d.index = make(map[string]*series, 2*len(d.list))
		for _, s := range d.list {
			d.index[s.metric] = s
		}
	}
	return s
}

// window returns s's accumulator for the window starting at start.
func (g *Aggregator) window(s *series, start int64) *accumulator {
	if s.last >= 0 && s.wins[s.last].start == start {
		return &s.wins[s.last].acc
	}
	n := int32(len(s.wins))
	i, found := int32(0), false
	switch {
	case n == 0 || s.sorted && start > s.wins[n-1].start:
		i = n // the next window in time: the common case
	case s.sorted:
		j, ok := slices.BinarySearchFunc(s.wins, start, func(w windowAcc, t int64) int { return cmp.Compare(w.start, t) })
		if i, found = int32(j), ok; !found {
			s.index() // out of order: positions move, a map takes over
			i = n
		}
	default:
		i, found = s.at[start]
		if !found {
			i = n
		}
	}
	if !found {
		s.wins = append(s.wins, windowAcc{start: start, acc: accumulator{vals: g.room()}})
		if s.at != nil {
			s.at[start] = i
		}
	}
	s.last = i
	return &s.wins[i].acc
}

// index gives s the map of its windows' positions, and stops treating its
// windows as sorted.
func (s *series) index() {
	s.sorted = false
	s.at = make(map[int64]int32, 2*len(s.wins))
	for i, w := range s.wins {
		s.at[w.start] = int32(i)
	}
}

// room returns an empty slice with room for slabValues values, cut from the
// slab (its capacity capped, so a window that outgrows it reallocates
// rather than writing over its neighbour).
func (g *Aggregator) room() []float64 {
	if len(g.slab)+slabValues > cap(g.slab) {
		g.slab = make([]float64, 0, 1024*slabValues)
	}
	n := len(g.slab)
	g.slab = g.slab[:n+slabValues]
	return g.slab[n : n : n+slabValues]
}

// Len is the number of (device, metric, window) accumulators held.
func (g *Aggregator) Len() int {
	n := 0
	for _, d := range g.devices {
		for _, s := range d.list {
			n += len(s.wins)
		}
	}
	return n
}

// Flush hands every partial to emit as (key, encoded block) and forgets
// them. The key names the device, the metric and the block's bounds
// (partialKeyString); the block holds its windows in start order.
func (g *Aggregator) Flush(emit func(key string, partial []byte)) {
	span := blockSpan(g.opts)
	for device, d := range g.devices {
		for _, s := range d.list {
			g.flushSeries(device, s, span, emit)
		}
	}
	clear(g.devices)
	g.slab = nil
}

// flushSeries emits one series' windows, a partial per block.
func (g *Aggregator) flushSeries(device string, s *series, span int64, emit func(key string, partial []byte)) {
	if !s.sorted {
		slices.SortFunc(s.wins, func(a, b windowAcc) int { return cmp.Compare(a.start, b.start) })
	}
	for lo := 0; lo < len(s.wins); {
		first := floorTo(s.wins[lo].start, span)
		hi := lo + 1
		for hi < len(s.wins) && s.wins[hi].start < first+span {
			hi++
		}
		g.buf = appendBlock(g.buf[:0], s.wins[lo:hi])
		emit(partialKeyString(device, s.metric, first, first+span), slices.Clone(g.buf))
		lo = hi
	}
}

// blockSpan is the event time one block covers, in milliseconds.
func blockSpan(o Options) int64 {
	step := o.Size.Milliseconds()
	if o.Period > 0 {
		step = o.Period.Milliseconds()
	}
	return step * BlockWindows
}

// windowStarts appends the starts of the windows holding t: one for fixed
// windows, Size/Period for sliding ones (Beam's window assignment).
func windowStarts(dst []int64, t int64, o Options) []int64 {
	size := o.Size.Milliseconds()
	period := o.Period.Milliseconds()
	if period <= 0 {
		return append(dst, floorTo(t, size))
	}
	last := floorTo(t, period)
	for start := last; start > t-size; start -= period {
		dst = append(dst, start)
	}
	return dst
}

// floorTo is the largest multiple of step at or below t (also for t < 0).
func floorTo(t, step int64) int64 {
	return t - ((t%step)+step)%step
}

// block is the merge state of one partial key: windows in start order.
// Partials travel encoded (appendBlock); decodeBlock reads one back.
type block struct {
	wins []windowAcc
}

// appendBlock encodes windows (in start order), compactly: a partial
// crosses the runner twice (to the GroupByKey and from it), and ~35 MB of
// them for 1M readings was the longest serial step after the fused stage.
// Layout: the window count, then per window its start as a zig-zag varint
// delta from the previous start (the first from 0), then a uvarint header:
// an exact window's is its value count << 1 followed by the values
// (appendExactValue), a sketch's is its encoded length << 1 | 1 followed by
// appendAccumulator's bytes. An exact window needs nothing but its values:
// count, extremes and moments are worked out from them (decodeBlock), and
// a window's record recomputes its moments from the sorted values anyway.
func appendBlock(b []byte, wins []windowAcc) []byte {
	b = binary.AppendUvarint(b, uint64(len(wins)))
	var prev int64
	for _, w := range wins {
		b = binary.AppendVarint(b, w.start-prev)
		prev = w.start
		if a := w.acc; a.sketch == nil && int64(len(a.vals)) == a.Count {
			b = binary.AppendUvarint(b, uint64(len(a.vals))<<1)
			hint := 0
			for _, v := range a.vals {
				b, hint = appendExactValue(b, v, hint)
			}
			continue
		}
		enc := appendAccumulator(nil, w.acc)
		b = binary.AppendUvarint(b, uint64(len(enc))<<1|1)
		b = append(b, enc...)
	}
	return b
}

// rawValue is the decimal-places nibble of a value sent as its 8 IEEE bytes.
const rawValue = 15

// appendExactValue writes v as one uvarint, zig-zag(m) << 4 | k, when it
// is the short decimal m·10^-k (events.ShortDecimal: a sensor's 67.37 is
// 3 bytes, not 8), else as the nibble rawValue and v's 8 bytes. hint is
// the places to try first; it returns the places it used.
func appendExactValue(b []byte, v float64, hint int) ([]byte, int) {
	if m, k, ok := events.ShortDecimal(v, hint); ok {
		return binary.AppendUvarint(b, uint64(m<<1^m>>63)<<4|uint64(k)), k
	}
	b = binary.AppendUvarint(b, rawValue)
	return binary.LittleEndian.AppendUint64(b, math.Float64bits(v)), hint
}

// readExactValue is appendExactValue's inverse; k is -1 when b is corrupt.
func readExactValue(b []byte) (v float64, n int) {
	x, n := binary.Uvarint(b)
	if n <= 0 {
		return 0, -1
	}
	switch k := int(x & 15); {
	case k == rawValue:
		if len(b) < n+8 {
			return 0, -1
		}
		return math.Float64frombits(binary.LittleEndian.Uint64(b[n:])), n + 8
	case k > events.MaxDecimalPlaces:
		return 0, -1
	default:
		z := x >> 4
		return events.DecimalValue(int64(z>>1)^-int64(z&1), k), n
	}
}

var errCorruptBlock = errors.New("windowstats: corrupt partial block")

// decodeBlock is appendBlock's inverse. The exact values of all windows
// share one allocation.
func decodeBlock(b []byte) (block, error) {
	n, k := binary.Uvarint(b)
	if k <= 0 || n > uint64(len(b)) {
		return block{}, errCorruptBlock
	}
	b = b[k:]
	out := block{wins: make([]windowAcc, 0, n)}
	var slab []float64
	var prev int64
	for i := uint64(0); i < n; i++ {
		delta, k1 := binary.Varint(b)
		if k1 <= 0 || (i > 0 && delta <= 0) {
			return block{}, errCorruptBlock
		}
		start := prev + delta
		prev = start
		h, k2 := binary.Uvarint(b[k1:])
		if k2 <= 0 {
			return block{}, errCorruptBlock
		}
		b = b[k1+k2:]
		var a accumulator
		if h&1 == 0 {
			count := h >> 1
			if count > exactMax || count > uint64(len(b)) {
				return block{}, errCorruptBlock
			}
			if cap(slab)-len(slab) < int(count) {
				slab = make([]float64, 0, max(4096, int(count)))
			}
			l := len(slab)
			slab = slab[:l+int(count)]
			a.vals = slab[l : l+int(count) : l+int(count)]
			for j := range a.vals {
				v, used := readExactValue(b)
				if used < 0 {
					return block{}, errCorruptBlock
				}
				a.vals[j], b = v, b[used:]
			}
			a.fromValues()
		} else {
			size := h >> 1
			if size > uint64(len(b)) {
				return block{}, errCorruptBlock
			}
			var err error
			if a, err = decodeAccumulator(b[:size]); err != nil {
				return block{}, err
			}
			b = b[size:]
		}
		out.wins = append(out.wins, windowAcc{start: start, acc: a})
	}
	if len(b) != 0 {
		return block{}, errCorruptBlock
	}
	return out, nil
}

// encodeBlock is decodeBlock's inverse.
func encodeBlock(b block) []byte { return appendBlock(nil, b.wins) }

// merge folds o into b, window by window (both in start order).
func (b block) merge(o block) block {
	if len(b.wins) == 0 {
		return o
	}
	out := make([]windowAcc, 0, len(b.wins)+len(o.wins))
	i, j := 0, 0
	for i < len(b.wins) && j < len(o.wins) {
		switch x, y := b.wins[i], o.wins[j]; {
		case x.start < y.start:
			out = append(out, x)
			i++
		case x.start > y.start:
			out = append(out, y)
			j++
		default:
			x.acc.merge(y.acc)
			out = append(out, x)
			i, j = i+1, j+1
		}
	}
	out = append(out, b.wins[i:]...)
	return block{wins: append(out, o.wins[j:]...)}
}

// partialKeyString encodes a partial's key as text: the device's length,
// ':', the device, the metric's length, ':', the metric, then the block's
// bounds in decimal milliseconds, "start/end". The lengths keep it
// unambiguous whatever the names hold, and it stays valid UTF-8: runners
// in other languages (Flink's Java) code keys as UTF-8 strings and would
// mangle raw binary.
func partialKeyString(device, metric string, start, end int64) string {
	b := make([]byte, 0, len(device)+len(metric)+48)
	b = strconv.AppendInt(b, int64(len(device)), 10)
	b = append(b, ':')
	b = append(b, device...)
	b = strconv.AppendInt(b, int64(len(metric)), 10)
	b = append(b, ':')
	b = append(b, metric...)
	b = strconv.AppendInt(b, start, 10)
	b = append(b, '/')
	b = strconv.AppendInt(b, end, 10)
	return string(b)
}

func parsePartialKey(key string) (device, metric string, start, end int64, err error) {
	bad := fmt.Errorf("windowstats: corrupt partial key %q", key)
	rest := key
	field := func() (string, bool) {
		n, after, ok := strings.Cut(rest, ":")
		l, convErr := strconv.Atoi(n)
		if !ok || convErr != nil || l < 0 || l > len(after) {
			return "", false
		}
		rest = after[l:]
		return after[:l], true
	}
	var ok1, ok2 bool
	device, ok1 = field()
	metric, ok2 = field()
	startText, endText, ok3 := strings.Cut(rest, "/")
	if !ok1 || !ok2 || !ok3 {
		return "", "", 0, 0, bad
	}
	var e1, e2 error
	start, e1 = strconv.ParseInt(startText, 10, 64)
	end, e2 = strconv.ParseInt(endText, 10, 64)
	if e1 != nil || e2 != nil {
		return "", "", 0, 0, bad
	}
	return device, metric, start, end, nil
}

// MergePartials merges the partials of Aggregator.Flush,
// PCollection<KV<string, []byte>> in the global window of a bounded input,
// into PCollection<events.WindowStats>: one record per device, metric and
// window, with the window's bounds in the record. Nothing can be late: the
// merge fires when the input ends. For a file or stdout output,
// MergePartialsJSON gives the same records as JSON Lines in blocks.
//
// The partials are grouped, not combined, and grouped into mergeShards
// groups, not one per key. Not combined: the fused stage has already
// pre-aggregated its chunk, so a runner's combiner lifting would only
// decode, merge and re-encode each partial once more on the way (~0.2 s of
// serial work for 1M readings on prism). Few groups: prism runs a
// grouped key or two per bundle, and the ~400 keys of 1M readings cost
// ~1 ms of bundle overhead each, longer than merging them (measured).
func MergePartials(s beam.Scope, partials beam.PCollection, opts Options) beam.PCollection {
	s = s.Scope("windowstats.MergePartials")
	opts = opts.withDefaults()
	opts.validate()
	return beam.ParDo(s, &blockStatsFn{Size: opts.Size.Milliseconds(), Quantiles: opts.Quantiles, Spilled: opts.SpillDir != ""}, groupPartials(s, partials, opts))
}

// MergePartialsJSON is MergePartials for a sink of JSON Lines (a file,
// stdout): PCollection<[]byte> where each element is the JSON records of
// one block of windows, one per line, separated by '\n' (no newline at the
// end), in window order. 1M readings make ~400k window records but only
// hundreds of elements.
func MergePartialsJSON(s beam.Scope, partials beam.PCollection, opts Options) beam.PCollection {
	s = s.Scope("windowstats.MergePartialsJSON")
	opts = opts.withDefaults()
	opts.validate()
	return beam.ParDo(s, &blockJSONFn{Size: opts.Size.Milliseconds(), Quantiles: opts.Quantiles, Spilled: opts.SpillDir != ""}, groupPartials(s, partials, opts))
}

// WriteJSONL is MergePartialsJSON and jsonl.Write in one for a file at
// path: each group's windows are merged, formatted and written to a shard
// file of path by the worker that merged them, so the records (~100 MB of
// JSON for 1M readings) do not travel through the runner to a writer
// (0.2-0.3 s of 2 s on prism, measured). The file appears when the input
// ends, as with jsonl.Write; its lines are MergePartialsJSON's.
func WriteJSONL(s beam.Scope, partials beam.PCollection, opts Options, path string) {
	s = s.Scope("windowstats.WriteJSONL")
	opts = opts.withDefaults()
	opts.validate()
	token := jsonl.NewToken()
	shards := beam.ParDo(s, &blockFileFn{
		Format: blockJSONFn{Size: opts.Size.Milliseconds(), Quantiles: opts.Quantiles, Spilled: opts.SpillDir != ""},
		Path:   path, Token: token,
	}, groupPartials(s, partials, opts))
	jsonl.WriteShards(s, path, token, shards)
}

// blockFileFn is blockJSONFn writing its bundle's records to one shard
// file of its own instead of emitting them, and emitting the shard when
// the bundle finishes. A goroutine writes a group's records while the next
// group is merged and formatted, and one shard per bundle (not per group)
// lets the join rename the file when a runner sends every group in one
// bundle, as prism does, instead of copying ~100 MB of shards (1M
// readings) into it.
type blockFileFn struct {
	Format      blockJSONFn
	Path, Token string

	queue chan []byte // formatted keys to the writing goroutine
	done  chan error  // its result, when queue closes
	w     jsonl.ShardWriter
}

func (fn *blockFileFn) StartBundle(_ func(jsonl.Shard)) {
	fn.stopWriting()
	fn.w.Abandon() // a failed bundle's shard: an orphan the join removes
	fn.w = jsonl.ShardWriter{Path: fn.Path, Token: fn.Token}
	// As much as formatGroup formats ahead: one round of keys.
	fn.queue, fn.done = make(chan []byte, 4*runtime.GOMAXPROCS(0)), make(chan error, 1)
	go func(queue <-chan []byte, done chan<- error) {
		var err error
		for b := range queue {
			if err == nil {
				err = fn.w.Write(b)
			}
		}
		done <- err
	}(fn.queue, fn.done)
}

func (fn *blockFileFn) ProcessElement(_ int, values func(*[]byte) bool, _ func(jsonl.Shard)) error {
	return fn.Format.formatGroup(values, func(b []byte) error { fn.queue <- b; return nil })
}

func (fn *blockFileFn) FinishBundle(emit func(jsonl.Shard)) error {
	if err := fn.stopWriting(); err != nil {
		fn.w.Abandon()
		return err
	}
	sh, ok, err := fn.w.Close()
	if ok {
		emit(sh)
	}
	return err
}

// Teardown ends the writing goroutine of a bundle that failed.
func (fn *blockFileFn) Teardown() {
	_ = fn.stopWriting()
	fn.w.Abandon()
}

// stopWriting ends the writing goroutine, if one runs, and returns its
// first error.
func (fn *blockFileFn) stopWriting() error {
	if fn.queue == nil {
		return nil
	}
	close(fn.queue)
	err := <-fn.done
	fn.queue, fn.done = nil, nil
	return err
}

// mergeShards is how many groups the partials are shuffled into: enough
// for a cluster's workers to share the merge, few enough that a runner's
// per-bundle cost does not dominate it.
const mergeShards = 16

// groupPartials returns PCollection<KV<int, Iterable<[]byte>>>: the
// partials in mergeShards groups, each value its key and partial
// (shardPartial), all of one key in one group; with opts.SpillDir, each
// value a spill ref to it (groupSpilled).
func groupPartials(s beam.Scope, partials beam.PCollection, opts Options) beam.PCollection {
	if opts.SpillDir != "" {
		return groupSpilled(s, partials, opts.SpillDir)
	}
	return beam.GroupByKey(s, beam.ParDo(s, shardPartial, partials))
}

// shardPartial keys a partial by the hash of its key, modulo mergeShards,
// and carries the key in the value: uvarint length, key, partial.
func shardPartial(key string, partial []byte) (int, []byte) {
	h := fnv.New32a()
	h.Write([]byte(key))
	v := binary.AppendUvarint(make([]byte, 0, binary.MaxVarintLen64+len(key)+len(partial)), uint64(len(key)))
	v = append(append(v, key...), partial...)
	return int(h.Sum32() % mergeShards), v
}

// byKey gathers a group's values (shardPartial's) by partial key, the keys
// in sorted order so output does not depend on arrival order. spilled:
// the values are spill refs to them.
func byKey(values func(*[]byte) bool, spilled bool) ([]string, map[string][][]byte, error) {
	if spilled {
		var err error
		if values, err = unspill(values); err != nil {
			return nil, nil, err
		}
	}
	parts := map[string][][]byte{}
	var v []byte
	for values(&v) {
		n, k := binary.Uvarint(v)
		if k <= 0 || n > uint64(len(v)-k) {
			return nil, nil, errCorruptBlock
		}
		key := string(v[k : k+int(n)])
		parts[key] = append(parts[key], v[k+int(n):])
	}
	keys := slices.Sorted(maps.Keys(parts))
	return keys, parts, nil
}

// mergeEncoded decodes one key's partial blocks and merges them.
func mergeEncoded(parts [][]byte) (block, error) {
	var b block
	for _, p := range parts {
		o, err := decodeBlock(p)
		if err != nil {
			return block{}, err
		}
		b = b.merge(o)
	}
	return b, nil
}

// blockStatsFn emits the merged windows of a group's keys as records.
type blockStatsFn struct {
	Size      int64
	Quantiles []float64
	// Spilled: the group's values are spill refs (groupSpilled).
	Spilled bool
	names   []string
}

func (fn *blockStatsFn) ProcessElement(_ int, values func(*[]byte) bool, emit func(events.WindowStats)) error {
	keys, parts, err := byKey(values, fn.Spilled)
	if err != nil {
		return err
	}
	if fn.names == nil {
		fn.names = quantileNames(fn.Quantiles)
	}
	for _, key := range keys {
		device, metric, _, _, err := parsePartialKey(key)
		if err != nil {
			return err
		}
		b, err := mergeEncoded(parts[key])
		if err != nil {
			return err
		}
		for _, w := range b.wins {
			emit(statsOf(device, metric, w.start, w.start+fn.Size, w.acc, fn.Quantiles, fn.names))
		}
	}
	return nil
}

// blockJSONFn merges a group's keys' partials and writes each key's
// windows as JSON Lines, one element per key. It merges and formats the
// keys on every CPU of the worker (GOMAXPROCS goroutines) and emits them
// from the bundle's goroutine: formatting ~400k window records (1M
// readings) was the longest serial step after the fused stage (~0.3 s,
// measured on 2 cores).
type blockJSONFn struct {
	Size      int64
	Quantiles []float64
	// Spilled: the group's values are spill refs (groupSpilled).
	Spilled bool

	names []string
}

func (fn *blockJSONFn) ProcessElement(_ int, values func(*[]byte) bool, emit func([]byte)) error {
	return fn.formatGroup(values, func(b []byte) error { emit(b); return nil })
}

// formatGroup merges and formats a group's keys, one block of JSON Lines
// per key, and hands them to use in key order, from the calling goroutine.
// Keys are formatted on every CPU a few rounds ahead of use, not all at
// once: a group's JSON is ~1/16 of the window records' (65 MB for 10M
// readings), which held whole was most of a spilled run's peak memory.
func (fn *blockJSONFn) formatGroup(values func(*[]byte) bool, use func([]byte) error) error {
	keys, parts, err := byKey(values, fn.Spilled)
	if err != nil {
		return err
	}
	if fn.names == nil {
		fn.names = quantileNames(fn.Quantiles)
	}
	procs := runtime.GOMAXPROCS(0)
	round := make([][]byte, 4*procs)
	for len(keys) > 0 {
		n := min(len(keys), len(round))
		var g errgroup.Group
		g.SetLimit(procs)
		for i, key := range keys[:n] {
			g.Go(func() (err error) {
				round[i], err = fn.format(key, parts[key])
				return err
			})
		}
		if err := g.Wait(); err != nil {
			return err
		}
		for i, key := range keys[:n] {
			delete(parts, key) // its encoded partials are done with
			if err := use(round[i]); err != nil {
				return err
			}
			round[i] = nil
		}
		keys = keys[n:]
	}
	return nil
}

// format merges one key's partials and returns its windows as JSON Lines.
func (fn *blockJSONFn) format(key string, parts [][]byte) ([]byte, error) {
	device, metric, _, _, err := parsePartialKey(key)
	if err != nil {
		return nil, err
	}
	b, err := mergeEncoded(parts)
	if err != nil {
		return nil, err
	}
	out := make([]byte, 0, 256*len(b.wins))
	var rec events.WindowStats
	for i, w := range b.wins {
		if i > 0 {
			out = append(out, '\n')
		}
		rec = statsInto(rec, device, metric, w.start, w.start+fn.Size, w.acc, fn.Quantiles, fn.names)
		out = rec.AppendJSON(out)
	}
	return out, nil
}

// statsOf is the output record of one key's window; names are
// quantileNames(quantiles).
func statsOf(device, metric string, start, end int64, a accumulator, quantiles []float64, names []string) events.WindowStats {
	return statsInto(events.WindowStats{}, device, metric, start, end, a, quantiles, names)
}

// statsInto is statsOf reusing rec's quantile slice. It sorts a's exact
// values in place (their order means nothing), once for all quantiles.
func statsInto(rec events.WindowStats, device, metric string, start, end int64, a accumulator, quantiles []float64, names []string) events.WindowStats {
	if a.sketch == nil {
		slices.Sort(a.vals)
		a.momentsOfSorted()
	}
	rec = events.WindowStats{DeviceID: device, Metric: metric, WindowStartMs: start, WindowEndMs: end,
		Count: a.Count, Mean: a.Mean, Variance: a.variance(), Min: a.Min, Max: a.Max, Quantiles: rec.Quantiles[:0]}
	for i, q := range quantiles {
		rec.Quantiles = append(rec.Quantiles, events.Metric{Name: names[i], Value: a.quantileSorted(q)})
	}
	return rec
}
