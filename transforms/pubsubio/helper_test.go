package pubsubio

import (
	"fmt"
	"testing"

	"github.com/apache/beam/sdks/v2/go/pkg/beam/testing/ptest"
	"github.com/beamlens/beamlens/internal/brokertest"
	"github.com/beamlens/beamlens/internal/pipetest"
	"google.golang.org/grpc/codes"
)

func TestMain(m *testing.M) {
	ptest.MainWithDefault(m, "prism")
}

// project is the fake Pub/Sub's project (brokertest.NewPubSub).
const project = brokertest.Project

// describe is what pipetest.DescribeRaw gives for the message id read
// from sub.
func describe(f *brokertest.PubSub, sub, id string) string {
	m := f.Message(id)
	return fmt.Sprintf("pubsub://%s@%s|%d|%s|%d|", subscriptionName(project, sub), m.ID, m.PublishTime.UnixMilli(), m.Data, len(m.Data))
}

func describeAll(f *brokertest.PubSub, sub string, ids []string) []any {
	return pipetest.AnysOf(ids, func(id string) string { return describe(f, sub, id) })
}

// pulled pulls sub dry and returns the messages' data and ordering keys.
func pulled(t testing.TB, f *brokertest.PubSub, sub string) (data []string, keys []string) {
	t.Helper()
	for _, m := range f.PullAll(t, sub) {
		data = append(data, string(m.Data))
		keys = append(keys, m.OrderingKey)
	}
	return data, keys
}

// failFirst is a reactor that fails the first n calls with code.
func failFirst(code codes.Code, n int) *brokertest.FailFirst {
	r := &brokertest.FailFirst{Code: code}
	r.Arm(n)
	return r
}
