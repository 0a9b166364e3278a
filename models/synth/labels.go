package synth

import (
	"encoding/json"
	"io"
)

func writeLabel(w io.Writer, v any) error {
	if w == nil {
		return nil
	}
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	_, err = w.Write(append(b, '\n'))
	return err
}
