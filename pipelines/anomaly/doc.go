// Package anomaly wires the sensor-anomaly pipeline: raw records from the
// input, strict decoding with event-time stamps, detection, and the
// anomalies and dead letters to the output. Wiring only: every step lives in
// a transforms package.
package anomaly
