package detectors

import (
	"fmt"
	"math"
	"slices"
)

// Defaults of Config's zero fields.
const (
	// DefaultThreshold is the article's limit: temperature > 100.
	DefaultThreshold = 100
	// DefaultScoreThreshold is Iglewicz and Hoaglin's cut-off for the
	// modified z-score. Every learned detector scores on a z-like scale, so
	// one cut-off serves them all: about 5 in 10,000 points of Gaussian noise
	// score above it.
	DefaultScoreThreshold = 3.5
	// StreamScoreThreshold is the cut-off beamlens's command line uses by
	// default. A stream judges every point, and at 3.5 about 5 in 10,000
	// points of Gaussian noise alarm per detector: on synth's labelled
	// streams the default ensemble then reached only 0.87-0.93 precision.
	// At 4.5 (about 7 in a million) precision is 0.975-0.998 and recall
	// 0.97-0.99 (seeds 1-4, 20k-50k readings): spikes and level shifts worth
	// an alarm score far above either cut-off. Half-Space Trees score at
	// most about 3.8 with the default TreeWindow, so at 4.5 they inform the
	// ensemble's scores but never cast a vote.
	StreamScoreThreshold = 4.5
	// DefaultWindow is how many recent points the rolling detectors keep.
	DefaultWindow = 100
	// DefaultWarmUp is how many points a detector learns before it may flag.
	DefaultWarmUp = 30
	// DefaultAlpha is the EWMA chart's smoothing weight: a sustained shift
	// of 1.5 sigma, which a per-point test rarely sees, crosses the default
	// limit after about eight points.
	DefaultAlpha = 0.25
	// DefaultQuantileWindow is how many past scores the rolling-quantile
	// threshold keeps.
	DefaultQuantileWindow = 500
	// DefaultTrees and DefaultTreeWindow follow river's HalfSpaceTrees.
	DefaultTrees      = 10
	DefaultTreeWindow = 250
	// DefaultDepth is deeper than river's 8 so that two or three metrics
	// each still get a few cuts on every path.
	DefaultDepth = 10
)

// Limits that keep a detector's memory and state bounded whatever the
// configuration says.
const (
	maxWindow = 1 << 16
	maxTrees  = 100
	maxDepth  = 16
	// maxContexts bounds cad's memory: a few tens of MiB at most.
	maxContexts = 1 << 20
)

// DefaultEnsemble returns the members of the default ensemble, combined by
// max (any member's alarm is the ensemble's): likelihood, an anomaly
// likelihood over a long baseline with one alarm per incident and a fast
// path for lone spikes, and stuck, for a sensor frozen at one value. The
// earlier default (robust_zscore, ewma and hst by majority vote) found the
// generator's anomalies but scored 11.6 on NAB, flagging real series far
// more often than their labels; see BENCHMARKS.md.
func DefaultEnsemble() []string { return []string{"likelihood", "stuck"} }

// Config carries the parameters detectors are built from. The zero value
// gives every detector its defaults, except Threshold (see there).
//
// The parameters that shape a detector's state - Window, Alpha,
// QuantileWindow and whether Quantile is on, Trees, TreeWindow, Depth,
// Seed, Members and the metric names - must match for saved state to be
// restored; thresholds and WarmUp may change between runs.
type Config struct {
	// Threshold is the static limit of the threshold detector, used as
	// given: 0 is a valid limit, so callers wanting the article's limit pass
	// DefaultThreshold (detect.Options does).
	Threshold float64
	// ScoreThreshold is the score above which a learned detector flags a
	// point. Scores are z-like (how many standard deviations from normal), so
	// one value fits all. Default DefaultScoreThreshold (3.5).
	ScoreThreshold float64
	// Window is the number of recent points zscore, robust_zscore and iqr
	// keep, and the effective span of ewma's centre line and mahalanobis's
	// covariance (weight 2/(Window+1)). Default DefaultWindow (100); at
	// least 4.
	Window int
	// WarmUp is how many points a detector learns before it may flag.
	// Default DefaultWarmUp (30); negative means none beyond what the
	// detector's arithmetic needs.
	WarmUp int
	// Alpha is the EWMA chart's smoothing weight in (0, 1]. Default
	// DefaultAlpha (0.25).
	Alpha float64
	// Quantile, when in (0, 1), turns on the rolling-quantile threshold:
	// each learned detector flags a score above the Quantile of its own last
	// QuantileWindow scores, never below ScoreThreshold, so a series whose
	// scores run high (heavy tails, seasonality) raises its own bar. Default
	// 0: the threshold is ScoreThreshold.
	Quantile float64
	// QuantileWindow is how many past scores the rolling-quantile threshold
	// keeps. Default DefaultQuantileWindow (500).
	QuantileWindow int
	// Trees is the number of Half-Space Trees. Default DefaultTrees (10).
	Trees int
	// TreeWindow is how many points each Half-Space Trees reference holds.
	// The trees resolve rarity only down to about one point in TreeWindow,
	// so a smaller window caps their scores lower. Default
	// DefaultTreeWindow (250); from 32 to 65535.
	TreeWindow int
	// Depth is the depth of each Half-Space Tree, at most 16. Default
	// DefaultDepth (10).
	Depth int
	// Seed fixes the random structure of Half-Space Trees; any value,
	// 0 included, gives the same trees every run. Default 0.
	Seed uint64
	// Members names the ensemble's members, any detectors but ensemble.
	// Default DefaultEnsemble().
	Members []string
	// Combine is how the ensemble combines its members. Default CombineMax.
	Combine Combiner
	// RangePoints is how many first values cad takes its value range from;
	// it never flags before. Default DefaultRangePoints (500).
	RangePoints int
	// Cooldown is how many points cad and likelihood score 0 after an
	// alarm: one alarm per incident. Default DefaultCooldown (30) for cad,
	// DefaultLikelihoodCooldown (100) for likelihood; negative means none.
	Cooldown int
	// Range, when not both zero, is the value range cad spreads its levels
	// over, known in advance (a sensor's datasheet range; NAB hands each
	// detector its series' min and max): no range is learned, cad may flag
	// from its first point, and the levels cover exactly [Range[0],
	// Range[1]] as the reference's do. Default: learned (RangePoints).
	Range [2]float64
	// LongWindow is the span of likelihood's long baseline. Default
	// DefaultLongWindow (4500); from 4 to 65536.
	LongWindow int
	// MaxContexts bounds cad's pattern memory (and so its state: about 10
	// bytes a context). Default DefaultMaxContexts (32768), at most 1<<20.
	MaxContexts int
}

// settings is a Config with defaults applied and values checked.
type settings struct {
	limit          float64
	scoreThreshold float64
	window         int
	warmUp         int
	alpha          float64
	quantile       float64
	quantileWindow int
	trees, depth   int
	treeWindow     int
	seed           uint64
	members        []string
	combine        Combiner
	rangePoints    int
	cooldown       int
	maxContexts    int
	longWindow     int
	valueRange     [2]float64
	rangeKnown     bool
}

func (c Config) resolve() (settings, error) {
	s := settings{
		limit:          c.Threshold,
		scoreThreshold: orFloat(c.ScoreThreshold, DefaultScoreThreshold),
		window:         orInt(c.Window, DefaultWindow),
		warmUp:         orInt(c.WarmUp, DefaultWarmUp),
		alpha:          orFloat(c.Alpha, DefaultAlpha),
		quantile:       c.Quantile,
		quantileWindow: orInt(c.QuantileWindow, DefaultQuantileWindow),
		trees:          orInt(c.Trees, DefaultTrees),
		depth:          orInt(c.Depth, DefaultDepth),
		treeWindow:     orInt(c.TreeWindow, DefaultTreeWindow),
		seed:           c.Seed,
		members:        c.Members,
		combine:        c.Combine,
		rangePoints:    orInt(c.RangePoints, DefaultRangePoints),
		cooldown:       c.Cooldown,
		longWindow:     orInt(c.LongWindow, DefaultLongWindow),
		maxContexts:    orInt(c.MaxContexts, DefaultMaxContexts),
	}
	s.valueRange, s.rangeKnown = c.Range, c.Range != [2]float64{}
	if s.cooldown < 0 {
		s.cooldown = -1
	}
	if s.warmUp < 0 {
		s.warmUp = 0
	}
	if len(s.members) == 0 {
		s.members = DefaultEnsemble()
	}
	switch {
	case math.IsNaN(s.limit) || math.IsInf(s.limit, 0):
		return s, fmt.Errorf("Threshold %v is not finite", s.limit)
	case !(s.scoreThreshold >= 0) || math.IsInf(s.scoreThreshold, 0):
		return s, fmt.Errorf("ScoreThreshold %v is not a finite non-negative number", s.scoreThreshold)
	case s.window < 4 || s.window > maxWindow:
		return s, fmt.Errorf("Window %d is outside [4, %d]", s.window, maxWindow)
	case !(s.alpha > 0 && s.alpha <= 1):
		return s, fmt.Errorf("Alpha %v is outside (0, 1]", s.alpha)
	case !(s.quantile >= 0 && s.quantile < 1):
		return s, fmt.Errorf("Quantile %v is outside [0, 1)", s.quantile)
	case s.quantileWindow < 2 || s.quantileWindow > maxWindow:
		return s, fmt.Errorf("QuantileWindow %d is outside [2, %d]", s.quantileWindow, maxWindow)
	case s.trees < 1 || s.trees > maxTrees:
		return s, fmt.Errorf("Trees %d is outside [1, %d]", s.trees, maxTrees)
	case s.treeWindow < 32 || s.treeWindow >= maxWindow:
		return s, fmt.Errorf("TreeWindow %d is outside [32, %d]", s.treeWindow, maxWindow-1)
	case s.depth < 1 || s.depth > maxDepth:
		return s, fmt.Errorf("Depth %d is outside [1, %d]", s.depth, maxDepth)
	case s.rangePoints < 1 || s.rangePoints > maxWindow:
		return s, fmt.Errorf("RangePoints %d is outside [1, %d]", s.rangePoints, maxWindow)
	case s.longWindow < 4 || s.longWindow > maxWindow:
		return s, fmt.Errorf("LongWindow %d is outside [4, %d]", s.longWindow, maxWindow)
	case s.cooldown > maxWindow:
		return s, fmt.Errorf("Cooldown %d is above %d", s.cooldown, maxWindow)
	case s.rangeKnown && !(s.valueRange[0] <= s.valueRange[1] && !math.IsInf(s.valueRange[0], 0) && !math.IsInf(s.valueRange[1], 0)):
		return s, fmt.Errorf("Range %v is not a finite [low, high] with low <= high", s.valueRange)
	case s.maxContexts < 16 || s.maxContexts > maxContexts:
		return s, fmt.Errorf("MaxContexts %d is outside [16, %d]", s.maxContexts, maxContexts)
	case s.combine < CombineMax || s.combine > CombineMean:
		return s, fmt.Errorf("Combine %d is not a known combiner", s.combine)
	}
	for i, m := range s.members {
		if _, ok := constructors[m]; !ok || m == "ensemble" {
			return s, fmt.Errorf("ensemble member %q is not a detector an ensemble may hold", m)
		}
		if slices.Contains(s.members[:i], m) {
			return s, fmt.Errorf("ensemble member %q listed twice", m)
		}
	}
	return s, nil
}

// mustResolve is for the typed constructors, where a bad Config is a
// programming error.
func (c Config) mustResolve(fn string) settings {
	s, err := c.resolve()
	if err != nil {
		panic("detectors." + fn + ": " + err.Error())
	}
	return s
}

// cooldownOr is the configured cooldown, def when none was set, 0 when
// turned off.
func (s settings) cooldownOr(def int) int {
	switch {
	case s.cooldown < 0:
		return 0
	case s.cooldown == 0:
		return def
	}
	return s.cooldown
}

// spanWeight is the exponential weight whose effective span is window
// points, the usual 2/(N+1).
func (s settings) spanWeight() float64 { return 2 / float64(s.window+1) }

func orInt(v, def int) int {
	if v == 0 {
		return def
	}
	return v
}

func orFloat(v, def float64) float64 {
	if v == 0 {
		return def
	}
	return v
}
