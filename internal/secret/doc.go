// Package secret is beamlens's one way of reading a secret: the Kafka SASL
// password, the Schema Registry password, a model server's bearer token
// and the LLM API key all come through Load, so that every one of them
// follows the same rule and none of them reaches a flag, a log line, an
// error or the job graph.
//
// The rule: a file, when one is named, wins over the environment variable;
// the value is trimmed of surrounding white space; an empty value is an
// error wrapping ErrEmpty that names the file or variable, never the value.
//
// Behaviour change: before this package the Kafka and Schema Registry
// passwords kept their surrounding spaces (only a trailing newline was
// dropped from a file) while the LLM key and the model token were fully
// trimmed. All four are trimmed now, so a password that really begins or
// ends with a space can no longer be given; a model token file that is
// empty is now an error rather than no token.
package secret
