package events

import (
	"errors"
	"fmt"
)

// FieldError says which field of a record is wrong and why. Field is empty
// when the record as a whole is at fault (not JSON, too large, not UTF-8).
type FieldError struct {
	Field  string
	Reason string
}

func (e *FieldError) Error() string {
	if e.Field == "" {
		return e.Reason
	}
	return fmt.Sprintf("field %q: %s", e.Field, e.Reason)
}

// IsFieldError reports whether err is (or wraps) a *FieldError, that is bad
// data rather than a failure of the machinery.
func IsFieldError(err error) bool {
	var fe *FieldError
	return errors.As(err, &fe)
}

func fieldErr(field, format string, args ...any) error {
	return &FieldError{Field: field, Reason: fmt.Sprintf(format, args...)}
}
