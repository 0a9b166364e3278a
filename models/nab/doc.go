// Package nab scores anomaly detectors by the rules of the Numenta Anomaly
// Benchmark (NAB), written from its published description:
//
//   - Each labelled anomaly has a window around it. A detection inside a
//     window earns a reward that falls along a scaled sigmoid with its
//     position in the window (earliest is best). Only the best detection of
//     a window counts. A window without a detection costs the profile's
//     false-negative weight. A detection outside every window costs the
//     false-positive weight, scaled by the same sigmoid of its distance past
//     the previous window.
//   - The first 15% of a series (at most 750 rows) is a probationary period
//     for the detector to learn: it is not scored.
//   - The three cost profiles (standard, reward_low_FP_rate,
//     reward_low_FN_rate) weight these differently.
//   - Per-file scores are summed. The detector's threshold is optimised per
//     profile over the whole corpus, one threshold for every file. The sum
//     is normalised so that the null detector (never detects) scores 0 and
//     a perfect one scores 100.
//
// Nothing here imports Beam: cmd/beamlens's `eval nab` produces the scores
// with the production pipeline and hands them to this package.
package nab
