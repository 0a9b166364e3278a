// Package detectors holds beamlens's online anomaly detectors: plain Go, no
// Beam import, so they are tested and benchmarked without a runner.
//
// A Detector scores one value of one series and then learns from it, in that
// order, so a point is never judged against a baseline that already contains
// it. Each verdict carries the score, the threshold it was compared with and,
// for anomalies, the baseline it was judged against, which end up in the
// anomaly record. A VectorDetector does the same for all of a reading's
// metrics at once.
//
// Detectors, by name (see New and ParseSpec):
//
//   - threshold: a fixed limit on the value (Threshold).
//   - zscore: distance from the rolling mean in rolling standard deviations
//     (ZScore).
//   - robust_zscore: distance from the rolling median in scaled MADs
//     (RobustZScore).
//   - iqr: Tukey's fences on the rolling quartiles (IQR).
//   - ewma: a combined Shewhart-EWMA control chart (EWMA).
//   - mahalanobis: Hotelling's T² under an exponentially weighted
//     covariance, over all of a device's metrics (Mahalanobis).
//   - hst: Half-Space Trees, a streaming random-tree density estimate
//     (HalfSpaceTrees).
//   - cad: the Contextual Anomaly Detector, which learns which sequences of
//     quantised values follow which and flags a pattern that breaks (CAD);
//     the best of these on the NAB benchmark, poor at lone spikes in noise.
//   - likelihood: an anomaly likelihood over a long baseline of the value
//     and its change, one alarm per incident, and lone spikes on which
//     robust_zscore and ewma agree (Likelihood).
//   - stuck: a sensor frozen at one value for longer than the device
//     normally holds one, once per freeze (Stuck).
//   - ensemble: several of the above combined by max, vote or mean score
//     (Ensemble); by default likelihood and stuck by max, which on the NAB
//     corpus's real series scores 67.4 where the earlier default
//     (robust_zscore, ewma and hst by vote) scored 11.6.
//
// Learned detectors score on one z-like scale - roughly how many standard
// deviations from normal, mapped through the chi-squared distribution for
// the multivariate ones - so one ScoreThreshold (3.5 by default) fits all of
// them and ensembles can compare and average their scores. The threshold is
// fixed, or a rolling quantile of the detector's own past scores that never
// drops below it (Config.Quantile). Every learned detector learns for a
// warm-up of WarmUp points (30 by default) before it may flag, and keeps
// bounded memory: fixed windows, fixed trees, no growing sketches.
//
// Every scale a detector judges with is floored at half the series' own
// resolution step, learned as it runs (resolution): a flat or quantised
// sensor (one that reads 21.5 for hours, then 21.6) has a spread of zero,
// and without the floor one 0.1 step would score in the millions. One step
// alone scores at most 2.
//
// Severity maps any verdict's score to [0, 1] on one scale (0.5 at the
// detector's own threshold); anomaly records carry it beside the native
// score.
//
// NaN and ±Inf are skipped: the verdict says Skipped and the state is
// untouched, so one bad reading cannot poison a baseline. Finite values
// beyond ±1e100, whose squares would overflow a variance, are scored (and
// flagged) but not learned.
//
// State (everything a detector learned) round-trips through MarshalBinary
// and UnmarshalBinary in a compact, versioned binary form, so it can live in
// a runner's keyed state and survive a restart; a restored detector gives
// bit-identical verdicts. State carries a fingerprint of the configuration
// that shapes it and is refused by a detector configured differently
// (ErrStateMismatch); thresholds and warm-up may change between runs.
//
// The detectors use only the standard library; the spec files (spec.go)
// are read with go.yaml.in/yaml/v3. The rolling windows need exact
// deletion of the point leaving them, which quantile sketches (DDSketch,
// t-digest) do not offer, so they are sorted arrays kept in place; the
// linear algebra is a Cholesky factorisation of a handful of metrics, which
// gonum would do no faster and only with allocations on the hot path.
package detectors
