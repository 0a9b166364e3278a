package runners

import (
	"os"
)

// withPrivateTempDir runs f with $TMPDIR set to a new directory inside the
// current temporary directory, then restores $TMPDIR and removes the
// directory with whatever f left in it.
//
// Why: on every LOOPBACK run (prism, Flink LOOPBACK) Beam's universal
// runner creates an empty "beamloopbackworker-*" file in os.TempDir() as a
// stand-in worker binary and never removes it (runnerlib.Execute,
// apache/beam#27569), so each beamlens run left one more file in /tmp. The
// SDK does not return the file's name, and removing files by pattern could
// take another process's file before it is staged; a directory of this
// run's own cannot. The private directory lives inside the user's, so
// anything else the run writes there still goes to the disk $TMPDIR names.
//
// When the directory cannot be made, f runs in the current one.
func withPrivateTempDir(f func() error) error {
	dir, err := os.MkdirTemp("", "beamlens-run-")
	if err != nil {
		return f()
	}
	old, had := os.LookupEnv("TMPDIR")
	os.Setenv("TMPDIR", dir)
	defer func() {
		if had {
			os.Setenv("TMPDIR", old)
		} else {
			os.Unsetenv("TMPDIR")
		}
		os.RemoveAll(dir)
	}()
	return f()
}
