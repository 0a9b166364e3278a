package runners

import (
	"os"
	"sync"
)

// withPrivateTempDir runs f with $TMPDIR set to a directory of this
// process's own inside the current temporary directory, then restores
// $TMPDIR and removes the directory with whatever f left in it.
//
// Why: on every LOOPBACK run (prism, Flink LOOPBACK) Beam's universal
// runner creates an empty "beamloopbackworker-*" file in os.TempDir() as a
// stand-in worker binary and never removes it (runnerlib.Execute,
// apache/beam#27569), so each beamlens run left one more file in /tmp. The
// SDK does not return the file's name, and removing files by pattern could
// take another process's file before it is staged; a directory of this
// process's own cannot. It lives inside the user's temporary directory,
// so anything else a run writes there still goes to the disk $TMPDIR
// names.
//
// $TMPDIR belongs to the whole process, so runs that overlap (tests, an
// embedding program) share one directory: the first to start makes it,
// the last to end restores $TMPDIR and removes it. When the directory
// cannot be made, f runs in the current one.
func withPrivateTempDir(f func() error) error {
	if !privateTemp.enter() {
		return f()
	}
	defer privateTemp.leave()
	return f()
}

// privateTemp is the directory withPrivateTempDir's runs share.
var privateTemp sharedTempDir

type sharedTempDir struct {
	mu       sync.Mutex
	users    int
	dir, old string
	hadOld   bool
}

func (s *sharedTempDir) enter() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.users == 0 {
		dir, err := os.MkdirTemp("", "beamlens-run-")
		if err != nil {
			return false
		}
		s.dir = dir
		s.old, s.hadOld = os.LookupEnv("TMPDIR")
		os.Setenv("TMPDIR", dir)
	}
	s.users++
	return true
}

func (s *sharedTempDir) leave() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.users--; s.users > 0 {
		return
	}
	if s.hadOld {
		os.Setenv("TMPDIR", s.old)
	} else {
		os.Unsetenv("TMPDIR")
	}
	os.RemoveAll(s.dir)
}
