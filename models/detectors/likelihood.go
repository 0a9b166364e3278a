package detectors

import (
	"math"

	"github.com/beamlens/beamlens/models/events"
)

// Likelihood is an anomaly likelihood in the manner of Numenta's HTM
// detector (Ahmad, Lavin, Purdy and Agha, "Unsupervised real-time anomaly
// detection for streaming data", Neurocomputing 262, 2017), over a cheap raw
// score instead of HTM's prediction error, plus a lone-spike path. With
// stuck it is the default: on the NAB corpus, in the streaming protocol, it
// scores several times what the distance detectors score (see
// BENCHMARKS.md), at about a microsecond a reading.
//
//   - Raw score: how unusual the value and its change from the previous
//     value are, each in standard deviations of an exponentially weighted
//     baseline spanning LongWindow readings (4500 by default): the larger
//     of the two, capped at 50. The change catches a pattern that breaks
//     (noise that doubles, a cycle that stops) while the value is in range.
//   - Likelihood: the mean raw score of the last 10 readings, in standard
//     deviations of that mean's own history over 8640 readings (Numenta's
//     numbers): how unlikely the recent stretch is given how the series
//     usually looks. A series that is always noisy raises its own bar.
//     An incident also needs that mean 1.5 above its usual level: a bar in
//     the raw score's own units, for series whose history barely varies.
//   - One alarm per incident: after the likelihood alarms it scores 0 for
//     Cooldown readings (100 by default), as NAB's and any operator's cost
//     of a repeated alarm asks.
//   - Lone spikes: a reading that robust_zscore and ewma (Window readings)
//     both flag is flagged whatever the cooldown, so a second spike in an
//     incident is still news on a factory floor; it is reported once and
//     does not also raise the recent mean.
//   - Seasonal context: the period of the series, the lag of the highest
//     autocorrelation (8 to 512 readings, at least 0.7) of its last 1024
//     values, clipped at 4.5 standard deviations, estimated again every 512
//     readings; once found, the change from one period ago, in standard
//     deviations of its own long baseline and weighted 0.75, is a third raw
//     score: a daily cycle that skips, stops or changes shape while each
//     value and step is ordinary. Seasonal differencing after Box and
//     Jenkins (Time Series Analysis, 1970, ch. 9), the period by
//     autocorrelation as in Vlachos, Yu and Castelli (SDM 2005). On NAB
//     this is worth 4 points (streaming) and 2.2 beside cad (range given).
//   - A learned range: the lowest and highest values seen. Once
//     likelihoodRangeReadings (750) are in, a value beyond them by more
//     than 5% of their width is an incident whatever the cooldown (HTM's
//     "spatial anomaly" in NAB's runner, with the range learned from the
//     stream instead of given): a level the device has never reached. The
//     range then takes the value in, so a new normal alarms once. On NAB
//     this is worth 2 points (standard) and 9 (low FP).
//
// Scores: the lesser of the likelihood over 3 sigmas (Numenta's bar: one
// stretch in about 700 of normal data) and the recent mean's rise over 1.5
// (ten readings each 1.5 standard deviations more unusual than usual, so a
// steady series, whose recent mean's history hardly varies, is not judged
// on a hair's breadth), times StreamScoreThreshold, 4.5: either ratio at 1
// lands on the threshold; plus 1% of the threshold once above it. A lone
// spike scores in the band just above the threshold, (1, 1.01] times it,
// at the band's middle when its margin (the lesser of the spike pair's
// score over threshold) equals the geometric mean margin of the series'
// last five spikes, higher when it is larger. So every alarm is above the
// threshold, incidents rank above lone spikes, and a spike beyond the
// series' habit above a habitual one: a threshold search on the scores
// (NAB's) may keep the incidents and the unusual spikes and drop the
// spikes of a series whose spikes are its habit. Every scale is floored at
// the series' resolution (see resolution), a full step here since the
// recent mean adds ten raw scores, so flat and quantised sensors do not
// alarm on one step.
//
// Baseline: mean and std (the long baseline), median and ewma (the spike
// pair's centres), recent (the mean raw score of the last ten readings),
// usual_recent, its usual level, and low and high, the learned range.
type Likelihood struct {
	gate
	long, hist float64 // weights of the baselines
	cooldown   int
	// The value's and the change's long baselines, the recent mean's
	// history, and the last Window values (the spike baseline).
	mean, vari   float64
	dmean, dvari float64
	hmean, hvari float64
	prev         float64
	// Seasonal context: the last likelihoodRing values, the period found
	// in them (0: none), and the long baseline of the change from one
	// period ago, with how many changes it holds (capped at maxWindow).
	ring         [likelihoodRing]float64
	period       int
	smean, svari float64
	sn           uint64
	lo, hi       float64 // the learned range: the extremes seen
	raws         [likelihoodShort]float64
	rawSum       float64
	sinceAlarm   int
	sinceFlag    int // readings since the last incident, up to likelihoodShort
	// The lone-spike pair: a spike is flagged when both agree.
	rz       *RobustZScore
	ew       *EWMA
	vrz, vew Verdict // their verdicts on the point peeked
	// The series' habit of spikes: the mean log margin of its last few
	// spikes (an exponentially weighted mean over likelihoodSpikeSpan of
	// them) and how many there were, capped at that span.
	spikeLog float64
	spikes   uint64
	fp       uint64
	// scratch, not state
	lastRaw, lastRecent float64
	spikeM              float64 // the point's spike margin, 0 when no spike
	incident            bool    // the likelihood itself crossed the threshold
}

const (
	// likelihoodShort is how many raw scores the recent mean averages:
	// Numenta's 10.
	likelihoodShort = 10
	// likelihoodHistory is the span of the recent mean's history: Numenta's
	// 8640 (a month of 5-minute readings).
	likelihoodHistory = 8640
	// likelihoodAlarm is the likelihood, in sigmas of the recent mean's
	// history, that maps onto StreamScoreThreshold: Numenta's 3 (about one
	// stretch in 700 of normal data).
	likelihoodAlarm = 3
	// likelihoodRise is the rise of the recent mean above its usual level,
	// in raw-score units, that maps onto StreamScoreThreshold: ten readings
	// must average 1.5 standard deviations (of value or change) more than
	// usual. The likelihood alone judges a series whose recent mean barely
	// moves (a steady one: the history's spread is tiny) far too sharply;
	// on NAB this bar is worth 5.5 points (alarm 3 alone 57.7, 4 alone 59.5,
	// with the bar at 1.25 / 1.4 / 1.5 / 1.6 / 2: 60.3 / 62.1 / 63.2 /
	// 63.3 / 60.8).
	likelihoodRise = 1.5
	// spikeBand is the width, relative to the threshold, of the band of
	// scores a lone spike gets: (1, 1.01] times the threshold.
	spikeBand = 0.01
	// likelihoodMinSpread floors the spread of the recent mean's history at
	// what Gaussian noise gives (|z| has sd 0.60; a mean of 10, 0.19): a
	// series quieter than noise, flat or quantised, is judged no more
	// sharply than noise, so one resolution step (raw 2, the recent mean
	// +0.2) stays about one sigma.
	likelihoodMinSpread = 0.2
	// likelihoodSpikeSpan is how many past spikes the usual spike margin
	// averages over: the last few (on NAB 5 beat 20 and 100 by 0.1-0.2;
	// the ranking as a whole is worth about half a point).
	likelihoodSpikeSpan = 5
	// likelihoodSpikeCap bounds a spike's margin.
	likelihoodSpikeCap = 1e9
	// likelihoodRing is how many past values the seasonal context keeps:
	// two of the longest period it looks for.
	likelihoodRing = 1024
	// likelihoodPeriodMin and likelihoodPeriodMax bound the period looked
	// for: a day of 5-minute readings is 288.
	likelihoodPeriodMin = 8
	likelihoodPeriodMax = likelihoodRing / 2
	// likelihoodPeriodEvery is how often, in readings, the period is
	// estimated again (a full ring's autocorrelation is two complex FFTs of
	// 1024 points, ~56 us: once every 512 readings).
	likelihoodPeriodEvery = 512
	// likelihoodPeriodACF is the autocorrelation a lag needs to count as
	// the period: a clear cycle. On NAB 0.3 / 0.4 / 0.5 / 0.6 / 0.7 / 0.8 /
	// 0.9 scored 65.3 / 65.2 / 66.6 / 67.1 / 67.4 / 67.5 / 66.0: a weak
	// period's "change from one period ago" is mostly noise.
	likelihoodPeriodACF = 0.7
	// likelihoodPeriodHarmonic: the period is the shortest lag whose
	// autocorrelation peaks at this share of the best lag's or more.
	likelihoodPeriodHarmonic = 0.9
	// likelihoodPeriodClip is where, in standard deviations, the values are
	// clipped before their autocorrelation is taken: at StreamScoreThreshold's
	// 4.5, so what the detectors call a spike does not shape the period (two
	// spikes 452 readings apart made a period of 452 without it). On NAB it
	// costs 0.7 against no clipping at an ACF bar of 0.4.
	likelihoodPeriodClip = 4.5
	// likelihoodSeasonWeight scales the seasonal raw score against the
	// value's and the change's: on NAB 0.75 beat 0.6 by 0.9 and 1 by 1.8
	// (at an ACF bar of 0.7).
	likelihoodSeasonWeight = 0.75
	// likelihoodSeasonWarm is how many changes from one period ago the
	// seasonal baseline takes in before it judges.
	likelihoodSeasonWarm = 50
	// likelihoodRawCap bounds a raw score, so one wild reading moves the
	// recent mean by at most 5.
	likelihoodRawCap = 50
	// likelihoodRangeReadings is how many readings the learned range
	// takes in before a value beyond it counts: NAB's longest
	// probationary period (750 beat 300 by a point on NAB; at 300 a daily
	// cycle of minute readings still climbs to new highs on the generator).
	likelihoodRangeReadings = 750
	// likelihoodRangeMargin is how far, as a share of its width, a value
	// must lie beyond the learned range: HTM's spatial tolerance.
	likelihoodRangeMargin = 0.05
	// likelihoodRangeScore is a new extreme's score, relative to the
	// threshold: above every lone spike.
	likelihoodRangeScore = 2
	// DefaultLongWindow is the span of likelihood's long baseline: on NAB
	// 4500 beat 3000 by 1.7 points (6000 and 9000 scored within a point of
	// it); before that, 3000 had beaten 1000 by 2 and 300 by 5.
	DefaultLongWindow = 4500
	// DefaultLikelihoodCooldown is likelihood's quiet period after an
	// alarm: on NAB 100 beat 50 and 200.
	DefaultLikelihoodCooldown = 100
)

// NewLikelihood returns an anomaly-likelihood detector; it panics on an
// invalid Config.
func NewLikelihood(cfg Config) *Likelihood { return newLikelihood(cfg.mustResolve("NewLikelihood")) }

func newLikelihood(s settings) *Likelihood {
	d := &Likelihood{gate: newGate(s, 1), long: 2 / float64(s.longWindow+1),
		hist: 2.0 / (likelihoodHistory + 1), rz: newRobustZScore(s), ew: newEWMA(s), cooldown: s.cooldownOr(DefaultLikelihoodCooldown)}
	d.fp = d.shapeFingerprint(newFingerprint(kindLikelihood).int(s.longWindow).int(s.window)).sum()
	d.Reset()
	return d
}

// Name implements Detector.
func (d *Likelihood) Name() string { return "likelihood" }

// Update implements Detector.
func (d *Likelihood) Update(v float64) Verdict { return step(d, v) }

// weight is an exponential weight that averages exactly while fewer than
// its span of points are in, so the start is not biased to the first value.
func (d *Likelihood) weight(span float64, n uint64) float64 { return max(1/float64(n+1), span) }

func (d *Likelihood) peek(x float64) Verdict {
	// A full resolution step, not the half step other detectors use: the
	// recent mean adds up ten raw scores, and a few one-step flips among
	// ten readings are still only the sensor's rounding.
	floor := 2 * d.floor(0, d.mean)
	sd := max(math.Sqrt(d.vari), floor)
	raw := math.Abs(x-d.mean) / sd
	if d.n >= 2 {
		// A change carries two readings' rounding: twice the floor.
		dsd := max(math.Sqrt(d.dvari), 2*floor)
		raw = max(raw, math.Abs(x-d.prev-d.dmean)/dsd)
	}
	if d.period > 0 && d.sn > likelihoodSeasonWarm {
		// The change from one period ago: a cycle that skips, stops or
		// changes shape, while each value and step is ordinary. Weighted
		// below the others, since a cycle is never exact.
		ssd := max(math.Sqrt(d.svari), 2*floor)
		raw = max(raw, likelihoodSeasonWeight*math.Abs(x-d.ago(d.period)-d.smean)/ssd)
	}
	raw = min(raw, likelihoodRawCap)
	if d.n < 2 {
		raw = 0
	}
	d.lastRaw = raw
	k := min(d.n+1, likelihoodShort)
	recent := (d.rawSum - d.raws[d.n%likelihoodShort] + raw) / float64(k)
	d.lastRecent = recent
	var lik float64
	if d.n > 2*likelihoodShort {
		lik = max(0, (recent-d.hmean)/d.histSigma())
	}
	// Both bars must be passed: the score is the lesser of the two ratios.
	score := min(lik/likelihoodAlarm, max(0, recent-d.hmean)/likelihoodRise) * StreamScoreThreshold
	threshold := d.threshold.current()
	d.incident = false
	switch {
	case d.sinceAlarm < d.cooldown:
		score = 0
	case score > threshold:
		// Incidents rank above the lone-spike band.
		score += spikeBand * threshold
		d.incident = true
	}
	if d.n > likelihoodRangeReadings && d.beyondRange(x) {
		score = max(score, likelihoodRangeScore*threshold)
		d.incident = true
	}
	d.vrz, d.vew = d.rz.peek(x), d.ew.peek(x)
	d.spikeM = 0
	if d.vrz.Anomaly && d.vew.Anomaly {
		// The lowest band above the threshold: sure to be unusual, least
		// sure to matter (see the type's comment). Within the band a
		// spike ranks by its margin against the series' usual spike, so
		// on a series that spikes by habit a spike beyond its habit
		// ranks above the habitual ones.
		// Capped, so a zero threshold's infinite margin cannot poison
		// the habit.
		d.spikeM = min(d.vrz.Score/d.vrz.Threshold, d.vew.Score/d.vew.Threshold, likelihoodSpikeCap)
		usual := 1.0
		if d.spikes > 0 {
			usual = math.Exp(d.spikeLog)
		}
		score = max(score, threshold*(1+spikeBand*d.spikeM/(d.spikeM+usual)))
	}
	return d.judge(score, d.n >= 2)
}

// beyondRange reports whether x lies beyond the learned range by more than
// its margin, and by more than one step of the series' resolution: a
// quantised sensor's one step to a new value is not news.
func (d *Likelihood) beyondRange(x float64) bool {
	margin := max((d.hi-d.lo)*likelihoodRangeMargin, 2*d.floor(0, d.mean))
	return d.hi > d.lo && (x > d.hi+margin || x < d.lo-margin)
}

// histSigma is the spread of the recent mean's history, never below
// likelihoodMinSpread.
func (d *Likelihood) histSigma() float64 { return max(math.Sqrt(d.hvari), likelihoodMinSpread) }

func (d *Likelihood) appendBaseline(dst []events.Metric, p string, _ Verdict) []events.Metric {
	return append(dst, metric(p, "mean", d.mean), metric(p, "std", math.Sqrt(d.vari)),
		metric(p, "median", d.rz.win.median()), metric(p, "ewma", d.ew.centre),
		metric(p, "recent", d.lastRecent), metric(p, "usual_recent", d.hmean),
		metric(p, "low", d.lo), metric(p, "high", d.hi))
}

// ewStep folds x into an exponentially weighted mean and variance, the
// residual clipped at limit (0: no clipping) for the variance.
func ewStep(mean, vari *float64, x, w, limit float64) {
	r := x - *mean
	rv := r
	if limit > 0 {
		rv = max(-limit, min(limit, r))
	}
	*mean += w * r
	*vari = (1 - w) * (*vari + w*rv*rv)
}

func (d *Likelihood) learn(x float64, v Verdict) {
	if d.n >= 1 {
		ewStep(&d.dmean, &d.dvari, x-d.prev, d.weight(d.long, d.n-1), 0)
	}
	// The recent mean's history does not learn from the stretches that
	// hold an incident's reading, so an incident does not raise the bar
	// for the next. A lone spike needs no such care: it never enters the
	// recent mean (below), and skipping the ten readings after every spike
	// cost 2.8 points on NAB.
	if v.Anomaly && d.incident {
		d.sinceFlag = 0
	} else if d.sinceFlag < likelihoodShort {
		d.sinceFlag++
	}
	if d.n >= likelihoodShort && d.sinceFlag >= likelihoodShort {
		ewStep(&d.hmean, &d.hvari, d.lastRecent, d.weight(d.hist, d.n-likelihoodShort), clipSigma*d.histSigma())
	}
	// A lone spike, reported, leaves the recent mean alone: it would
	// otherwise echo as an incident over the next few readings.
	if v.Anomaly && !d.incident {
		d.lastRaw = min(d.lastRaw, d.hmean)
	}
	if d.spikeM > 0 {
		d.spikes = min(d.spikes+1, likelihoodSpikeSpan)
		d.spikeLog += (math.Log(d.spikeM) - d.spikeLog) / float64(d.spikes)
	}
	i := d.n % likelihoodShort
	d.rawSum += d.lastRaw - d.raws[i]
	d.raws[i] = d.lastRaw
	ewStep(&d.mean, &d.vari, x, d.weight(d.long, d.n), 0)
	d.learnSeason(x)
	d.rz.learn(x, d.vrz)
	d.ew.learn(x, d.vew)
	if d.n == 0 {
		d.lo, d.hi = x, x
	}
	d.lo, d.hi = min(d.lo, x), max(d.hi, x)
	d.prev = x
	// Only an incident starts the cooldown: a lone spike says nothing of
	// what follows.
	if v.Anomaly && d.incident && d.sinceAlarm >= d.cooldown {
		d.sinceAlarm = 0
	} else if d.sinceAlarm < d.cooldown {
		d.sinceAlarm++
	}
	// Recomputing the sum now and then keeps rounding from drifting.
	if i == likelihoodShort-1 {
		d.rawSum = 0
		for _, r := range d.raws {
			d.rawSum += r
		}
	}
	d.learned(x, v)
}

// Reset implements Detector.
func (d *Likelihood) Reset() {
	d.gate.reset()
	d.mean, d.vari, d.dmean, d.dvari, d.hmean, d.hvari = 0, 0, 0, 0, 0, 0
	d.prev, d.rawSum, d.lo, d.hi = 0, 0, 0, 0
	d.rz.Reset()
	d.ew.Reset()
	d.raws = [likelihoodShort]float64{}
	d.spikeLog, d.spikes = 0, 0
	d.ring = [likelihoodRing]float64{}
	d.period, d.smean, d.svari, d.sn = 0, 0, 0, 0
	d.sinceAlarm, d.sinceFlag = d.cooldown, likelihoodShort
}

func (d *Likelihood) appendBody(b []byte) []byte {
	b = d.gate.appendState(b)
	for _, f := range [...]float64{d.mean, d.vari, d.dmean, d.dvari, d.hmean, d.hvari, d.prev, d.rawSum, d.lo, d.hi, d.spikeLog} {
		b = appendFloat(b, f)
	}
	for _, r := range d.raws {
		b = appendFloat(b, r)
	}
	b = appendUvarint(b, uint64(d.sinceAlarm))
	b = appendUvarint(b, uint64(d.sinceFlag))
	b = appendUvarint(b, d.spikes)
	// Only the ring's filled part: a young device's state stays small.
	for _, v := range d.ring[:min(d.n, likelihoodRing)] {
		b = appendFloat(b, v)
	}
	b = appendUvarint(b, uint64(d.period))
	b = appendFloat(b, d.smean)
	b = appendFloat(b, d.svari)
	b = appendUvarint(b, d.sn)
	return d.ew.appendBody(d.rz.appendBody(b))
}

func (d *Likelihood) readBody(r *stateReader) {
	d.gate.readState(r)
	for _, f := range [...]*float64{&d.mean, &d.vari, &d.dmean, &d.dvari, &d.hmean, &d.hvari, &d.prev, &d.rawSum, &d.lo, &d.hi, &d.spikeLog} {
		*f = r.float()
	}
	for i := range d.raws {
		d.raws[i] = r.float()
	}
	d.sinceAlarm = r.count(d.cooldown)
	d.sinceFlag = r.count(likelihoodShort)
	d.spikes = uint64(r.count(likelihoodSpikeSpan))
	for i := range d.ring[:min(d.n, likelihoodRing)] {
		d.ring[i] = r.float()
	}
	d.period = r.count(likelihoodPeriodMax)
	d.smean, d.svari = r.float(), r.float()
	d.sn = uint64(r.count(maxWindow))
	if r.err == nil && d.period != 0 && d.period < likelihoodPeriodMin {
		r.fail("period %d below %d", d.period, likelihoodPeriodMin)
	}
	d.rz.readBody(r)
	d.ew.readBody(r)
	if d.vari < 0 || d.dvari < 0 || d.hvari < 0 || d.svari < 0 {
		r.fail("negative variance")
	}
	if r.err == nil && d.lo > d.hi {
		r.fail("range low above high")
	}
	if r.err == nil && !(math.Abs(d.spikeLog) <= math.Log(likelihoodSpikeCap)) {
		r.fail("usual spike margin %v out of range", d.spikeLog)
	}
}

// AppendBinary implements encoding.BinaryAppender.
func (d *Likelihood) AppendBinary(b []byte) ([]byte, error) {
	return marshal(b, d, kindLikelihood, d.fp), nil
}

// MarshalBinary implements encoding.BinaryMarshaler.
func (d *Likelihood) MarshalBinary() ([]byte, error) { return d.AppendBinary(nil) }

// UnmarshalBinary implements encoding.BinaryUnmarshaler.
func (d *Likelihood) UnmarshalBinary(data []byte) error {
	return restore(data, d, kindLikelihood, d.fp)
}

// ago is the value k readings back; k is at most likelihoodPeriodMax and
// at most d.n.
func (d *Likelihood) ago(k int) float64 { return d.ring[(d.n-uint64(k))%likelihoodRing] }

// learnSeason folds x into the seasonal context: the change from one period
// ago into its baseline, x into the ring, and every likelihoodPeriodEvery
// readings a new estimate of the period; a new period starts a new
// baseline.
func (d *Likelihood) learnSeason(x float64) {
	if d.period > 0 && d.n >= uint64(d.period) {
		ewStep(&d.smean, &d.svari, x-d.ago(d.period), d.weight(d.long, d.sn), 0)
		d.sn = min(d.sn+1, maxWindow)
	}
	d.ring[d.n%likelihoodRing] = x
	if d.n >= likelihoodRing-1 && (d.n+1)%likelihoodPeriodEvery == 0 {
		if p := d.findPeriod(); p != d.period {
			d.period, d.smean, d.svari, d.sn = p, 0, 0, 0
		}
	}
}

// findPeriod returns the lag, in [likelihoodPeriodMin,
// likelihoodPeriodMax], of the highest autocorrelation of the ring's values
// (the last likelihoodRing, oldest first) past the first trough, when it
// reaches likelihoodPeriodACF; else 0. Looking past the first trough skips
// the high autocorrelation every smooth series has at short lags.
func (d *Likelihood) findPeriod() int {
	// The ring is centred and clipped where its autocorrelation will read
	// it (a pointer kept in lagCorrelations would move buf to the heap).
	var lc lagCorrelations
	buf := &lc.buf
	mean := 0.0
	for i := range buf {
		buf[i] = d.ring[(d.n+1+uint64(i))%likelihoodRing]
		mean += buf[i]
	}
	mean /= likelihoodRing
	v0 := 0.0
	for i := range buf {
		buf[i] -= mean
		v0 += buf[i] * buf[i]
	}
	if !(v0 > 0) || math.IsInf(v0, 0) {
		return 0
	}
	// Clipped at a few standard deviations, so that two spikes do not make
	// a period of the lag between them.
	lim := likelihoodPeriodClip * math.Sqrt(v0/likelihoodRing)
	mean, v0 = 0, 0
	for i := range buf {
		buf[i] = max(-lim, min(lim, buf[i]))
		mean += buf[i]
	}
	mean /= likelihoodRing
	for i := range buf {
		buf[i] -= mean
		v0 += buf[i] * buf[i]
	}
	if !(v0 > 0) {
		return 0
	}
	lc.init(v0)
	return choosePeriod(&lc)
}
