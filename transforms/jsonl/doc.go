// Package jsonl reads and writes JSON Lines files as Beam collections.
//
// Read expands a path or glob when the pipeline is built (so a missing input
// is an error before anything runs), splits large files into byte ranges so
// several workers share one file, and emits PCollection<events.Raw>, one
// element per non-blank line, tagged with "PATH@OFFSET". A UTF-8 byte-order
// mark and CRLF endings are tolerated; a line over events.MaxRecordBytes is
// not decoded but emitted with a Problem, so it becomes a dead letter instead
// of exhausting memory. Write gathers a PCollection<[]byte> of records into
// one file, written to a temporary name and renamed, so a reader never sees a
// half-written output; an empty collection gives an empty file.
package jsonl
