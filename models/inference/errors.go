package inference

import (
	"errors"
	"fmt"
	"time"
)

// RequestError is a batch the model refused or could not score - a 4xx
// answer, an ONNX Runtime error on these rows, an answer that does not
// fit them - as opposed to a model that is out of reach. Retrying the
// same rows will not help; scoring them one by one finds the row at fault.
type RequestError struct {
	Model  string
	Status int // the HTTP status; 0 in process
	Err    error
}

func (e *RequestError) Error() string {
	if e.Status != 0 {
		return fmt.Sprintf("model %s refused the rows (HTTP %d): %v", e.Model, e.Status, e.Err)
	}
	return fmt.Sprintf("model %s could not score the rows: %v", e.Model, e.Err)
}

func (e *RequestError) Unwrap() error { return e.Err }

// IsRequestError reports whether err is a *RequestError.
func IsRequestError(err error) bool {
	var re *RequestError
	return errors.As(err, &re)
}

// GaveUpError is a batch whose server stayed out of reach for
// Options.GiveUpAfter.
type GaveUpError struct {
	Model string
	After time.Duration
	Last  error
}

func (e *GaveUpError) Error() string {
	return fmt.Sprintf("model %s out of reach for %s, gave up: %v", e.Model, e.After.Round(time.Millisecond), e.Last)
}

func (e *GaveUpError) Unwrap() error { return e.Last }

// IsGaveUp reports whether err is a *GaveUpError.
func IsGaveUp(err error) bool {
	var ge *GaveUpError
	return errors.As(err, &ge)
}
