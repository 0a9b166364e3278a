package runners

import (
	"context"
	"fmt"

	jobpb "github.com/apache/beam/sdks/v2/go/pkg/beam/model/jobmanagement_v1"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/options/jobopts"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
)

// CheckJobServer asks the job server the Flink runner would submit to
// (--endpoint) for its job list, within ctx's deadline. The Go SDK itself
// waits minutes on an endpoint nobody serves while the job seems to run;
// this answers in seconds, before anything is built or staged. Runners
// without a job server pass.
func CheckJobServer(ctx context.Context, o Options) error {
	if o.Runner != "flink" {
		return nil
	}
	endpoint := *jobopts.Endpoint
	conn, err := grpc.NewClient(endpoint, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		return fmt.Errorf("--endpoint=%s: %w", endpoint, err)
	}
	defer conn.Close()
	// WaitForReady keeps retrying the dial until the deadline instead of
	// failing on the first refused connection: a server still starting up
	// gets the whole budget.
	if _, err := jobpb.NewJobServiceClient(conn).GetJobs(ctx, &jobpb.GetJobsRequest{}, grpc.WaitForReady(true)); err != nil {
		return fmt.Errorf("no Beam job server answers at --endpoint=%s (start one with scripts/flink.sh start, or fix --endpoint): %w", endpoint, err)
	}
	return nil
}
