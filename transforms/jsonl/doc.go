// Package jsonl reads and writes JSON Lines files as Beam collections.
//
// Read expands a path or glob when the pipeline is built (so a missing input
// is an error before anything runs), splits large files into byte ranges so
// several workers share one file, and emits PCollection<events.Raw>, one
// element per non-blank line, tagged with "PATH@OFFSET". A UTF-8 byte-order
// mark and CRLF endings are tolerated; a line over events.MaxRecordBytes is
// not decoded but emitted with a Problem, so it becomes a dead letter instead
// of exhausting memory. Write has each bundle write its records to a hidden
// shard next to the output and one finalizing step join the committed shards
// under a temporary name and rename it, so a reader never sees a
// half-written output and the records never travel through the runner twice;
// an empty collection gives an empty file. Workers must share the output
// directory.
package jsonl
