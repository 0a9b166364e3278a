package detectors

import "errors"

// Errors UnmarshalBinary returns, wrapped with detail; test with errors.Is.
// After any of them the detector has been Reset, so a caller can log the
// error and carry on with a fresh detector.
var (
	// ErrStateCorrupt means the bytes are not state this package wrote:
	// truncated, trailing garbage, impossible counts or non-finite numbers.
	ErrStateCorrupt = errors.New("detectors: corrupt state")
	// ErrStateVersion means the state was written in a format version this
	// build does not read.
	ErrStateVersion = errors.New("detectors: unsupported state version")
	// ErrStateMismatch means the state belongs to another kind of detector,
	// or to one whose state-shaping configuration (window, trees, metrics,
	// ...) differs: restoring it would silently change what was learned.
	ErrStateMismatch = errors.New("detectors: state belongs to a differently configured detector")
)

// IsStateMismatch reports whether err says saved state does not fit the
// detector's configuration, the expected outcome after a configuration
// change rather than a fault.
func IsStateMismatch(err error) bool { return errors.Is(err, ErrStateMismatch) }
