package view

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"time"
)

// errRewritten reports that a followed file shrank or was replaced (a new
// run rewrote it, as beamlens's atomic file writes do): what was read from
// it no longer holds, so the view starts over.
var errRewritten = errors.New("view: a followed file was rewritten")

// follow reads path from the start and then as it grows, handing each
// complete line to add, until ctx ends (then it returns nil). A file that
// does not exist yet is waited for; one that shrinks or is replaced ends
// the read with errRewritten.
func follow(ctx context.Context, path string, every time.Duration, add func([]byte)) error {
	var (
		f       *os.File
		r       *bufio.Reader
		offset  int64
		partial []byte
	)
	defer func() {
		if f != nil {
			f.Close()
		}
	}()
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		if f == nil {
			if nf, err := os.Open(path); err == nil {
				f, r, offset, partial = nf, bufio.NewReaderSize(nf, 256<<10), 0, nil
			} else if !errors.Is(err, os.ErrNotExist) {
				return err
			}
		}
		if f != nil {
			if st, err := os.Stat(path); err == nil && (st.Size() < offset || !sameFile(f, st)) {
				return errRewritten
			}
			for {
				line, err := r.ReadBytes('\n')
				offset += int64(len(line))
				if err == io.EOF {
					partial = append(partial, line...)
					break
				}
				if err != nil {
					return err
				}
				if len(partial) > 0 {
					line = append(partial, line...)
					partial = nil
				}
				if l := bytes.TrimSpace(line); len(l) > 0 {
					add(l)
				}
			}
		}
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
	}
}

func sameFile(f *os.File, st os.FileInfo) bool {
	fst, err := f.Stat()
	return err == nil && os.SameFile(fst, st)
}
