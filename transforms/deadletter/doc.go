// Package deadletter is how beamlens transforms report bad elements: never by
// failing the bundle (the runner would retry the same bad element forever)
// and never by dropping it, but by emitting an events.DeadLetter - the stage,
// the reason, the original bytes and their source - on a second output.
//
// A transform's DoFn takes an extra emitter and calls Emit; pipelines Flatten
// the dead-letter outputs of all their stages and write them to one sink
// (deadletters.jsonl, or the input topic's .dlq). Every dead letter is counted
// in the "beamlens/dead_letters" counter and in one per stage.
package deadletter
