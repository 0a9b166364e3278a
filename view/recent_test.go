package view

import (
	"fmt"
	"testing"
)

// TestRecentAnomaliesByEventTimeAcrossDevices feeds anomalies the way a
// pipeline writes them, device by device, each device's in time order: the
// table must list the latest by event time from every device, not the last
// device's lines.
func TestRecentAnomaliesByEventTimeAcrossDevices(t *testing.T) {
	st := newState()
	const devices, each = 5, 300
	for d := range devices {
		for i := range each {
			// Device d's readings span minutes 0..each, offset by d so that
			// the latest overall interleave across devices.
			ts := int64(i*60_000 + d*1000)
			st.addAnomaly(fmt.Appendf(nil, `{"device_id":"dev-%d","timestamp":%d,"temperature":150,"metric":"temperature","score":9,"detector":"threshold"}`, d, ts))
		}
	}
	rec := st.snapshot().Recent
	if len(rec) != maxRecent {
		t.Fatalf("%d recent anomalies, want %d", len(rec), maxRecent)
	}
	seen := map[string]bool{}
	for i, a := range rec {
		seen[a.Device] = true
		if i > 0 && a.T > rec[i-1].T {
			t.Fatalf("row %d (%d) is later than row %d (%d): not newest first", i, a.T, i-1, rec[i-1].T)
		}
	}
	if len(seen) != devices {
		t.Errorf("recent anomalies come from %d devices, want all %d", len(seen), devices)
	}
	// The newest is the last device's last reading; the oldest kept is
	// exactly the maxRecent-th latest overall.
	if want := int64((each-1)*60_000 + (devices-1)*1000); rec[0].T != want {
		t.Errorf("newest row at %d, want %d", rec[0].T, want)
	}
	if want := int64((each-maxRecent/devices)*60_000 + 0*1000); rec[len(rec)-1].T != want {
		t.Errorf("oldest row at %d, want %d", rec[len(rec)-1].T, want)
	}
}
