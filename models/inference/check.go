package inference

import (
	"context"
	"errors"
	"fmt"
)

// Check is the start-up probe of an opened model: a KServe v2 server's
// metadata (the input width, when declared), then one row of zeros
// scored, so that a server out of reach, an unknown model or one of
// another width is reported before a stream starts rather than in the
// middle of it. ctx bounds the whole probe.
func Check(ctx context.Context, m Model) error {
	if k, ok := m.(*kserveModel); ok {
		if err := k.check(ctx); err != nil {
			return err
		}
	}
	w := m.Width()
	p, err := m.Predict(ctx, make([]float32, w), 1)
	var re *RequestError
	switch {
	case errors.As(err, &re):
		return fmt.Errorf("model refused a row of %d features (--metrics): %w", w, err)
	case err != nil:
		return fmt.Errorf("model out of reach: %w", err)
	case p.Labels == nil && p.Scores == nil:
		return fmt.Errorf("model gave neither a label nor a score for a row of %d features", w)
	}
	return nil
}
