package detectors_test

import (
	"fmt"

	"github.com/beamlens/beamlens/models/detectors"
)

// A detector scores each value, then learns from it; its state can be
// saved between bundles and restored into a reused detector.
func Example() {
	d, err := detectors.New("robust_zscore", detectors.Config{})
	if err != nil {
		panic(err)
	}
	for i := range 60 {
		d.Update(20 + float64(i%5)/10) // 20.0 .. 20.4, over and over
	}
	state, _ := d.MarshalBinary()

	restored, _ := detectors.New("robust_zscore", detectors.Config{})
	if err := restored.UnmarshalBinary(state); err != nil {
		panic(err)
	}
	v := restored.Update(25)
	fmt.Printf("anomaly=%v score=%.1f threshold=%v\n", v.Anomaly, v.Score, v.Threshold)
	for _, b := range v.Baseline {
		fmt.Printf("%s=%.2f ", b.Name, b.Value)
	}
	fmt.Println()
	// Output:
	// anomaly=true score=32.4 threshold=3.5
	// median=20.20 mad=0.15 lower=19.68 upper=20.72
}

// A vector detector judges all of a device's metrics together.
func ExampleNewVector() {
	d, err := detectors.NewVector("mahalanobis", []string{"inlet", "outlet"}, detectors.Config{})
	if err != nil {
		panic(err)
	}
	for i := range 200 {
		t := 50 + float64(i%10)
		d.UpdateVector([]float64{t, t + 0.1*float64(i%3)})
	}
	// Each value is usual on its own; together they are not.
	v := d.UpdateVector([]float64{58, 51})
	fmt.Println(v.Anomaly, v.Metric)
	// Output: true outlet
}
