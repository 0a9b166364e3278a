package runners

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/apache/beam/sdks/v2/go/pkg/beam"
	jobpb "github.com/apache/beam/sdks/v2/go/pkg/beam/model/jobmanagement_v1"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/options/jobopts"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
)

// ErrCancelled reports a job that was stopped on request (Ctrl-C or SIGTERM)
// and that the runner confirmed as cancelled.
var ErrCancelled = errors.New("job cancelled on request")

// cancelTimeout bounds how long a stop request waits for the job server to
// confirm the cancellation.
var cancelTimeout = 60 * time.Second

// runFlink submits p to the Flink job server and, when ctx ends (the user
// pressed Ctrl-C or the process got SIGTERM), cancels the job through the job
// service and waits until Flink reports it cancelled.
//
// Why not just exit: the Go SDK neither cancels a portable job when its
// context ends nor lets the caller learn the job id, and with LOOPBACK the
// workers live in this process - exiting would leave Flink to fail the job
// over dead workers and restart it. The job is found by its (unique) name.
func runFlink(ctx context.Context, p *beam.Pipeline, o Options) (beam.PipelineResult, error) {
	if *jobopts.JobName == "" {
		*jobopts.JobName = fmt.Sprintf("beamlens-%s-%d-%d", o.jobLabel(), os.Getpid(), time.Now().UnixNano())
	}
	name := *jobopts.JobName
	type outcome struct {
		res beam.PipelineResult
		err error
	}
	done := make(chan outcome, 1)
	go func() {
		// The job's own context is not ctx: a cancelled context would only
		// stop the Go side from listening, not the job.
		res, err := beam.Run(context.WithoutCancel(ctx), "flink", p)
		if err == nil && *jobopts.Async {
			fmt.Fprintf(os.Stderr, "beamlens: submitted job %s to %s; it runs on without this process (stop it with scripts/flink.sh savepoint, or Flink's REST API)\n", name, *jobopts.Endpoint)
		}
		done <- outcome{res, err}
	}()
	select {
	case out := <-done:
		return out.res, out.err
	case <-ctx.Done():
	}
	cctx, cancel := context.WithTimeout(context.Background(), cancelTimeout)
	defer cancel()
	if err := cancelJob(cctx, *jobopts.Endpoint, name); err != nil {
		return nil, fmt.Errorf("stopping job %s: %w", name, err)
	}
	select {
	case <-done:
	case <-cctx.Done():
		return nil, fmt.Errorf("stopping job %s: the job server did not confirm within %s", name, cancelTimeout)
	}
	return nil, ErrCancelled
}

// jobLabel names the pipeline in job names; "job" when unset.
func (o Options) jobLabel() string {
	if o.JobLabel == "" {
		return "job"
	}
	return o.JobLabel
}

// cancelJob asks the job service at endpoint to cancel the job called name.
// A job that has not been submitted yet is waited for (it may be staging
// artifacts), up to ctx's deadline.
func cancelJob(ctx context.Context, endpoint, name string) error {
	conn, err := grpc.NewClient(endpoint, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		return err
	}
	defer conn.Close()
	client := jobpb.NewJobServiceClient(conn)
	for {
		jobs, err := client.GetJobs(ctx, &jobpb.GetJobsRequest{})
		if err != nil {
			return err
		}
		for _, j := range jobs.GetJobInfo() {
			if !sameJob(j, name) {
				continue
			}
			if terminal(j.GetState()) {
				return nil
			}
			_, err := client.Cancel(ctx, &jobpb.CancelJobRequest{JobId: j.GetJobId()})
			return err
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("job not found on %s: %w", endpoint, ctx.Err())
		case <-time.After(500 * time.Millisecond):
		}
	}
}

// sameJob reports whether j is the job submitted as name. The Go SDK sends
// the name as the application name; Beam's Java job servers derive the job
// name from it as "<app>-<user>-<MMddHHmmss>-<random>", with the app name
// lower-cased and every character outside [a-z0-9] replaced by '0'.
func sameJob(j *jobpb.JobInfo, name string) bool {
	if j.GetJobName() == name || strings.HasPrefix(j.GetJobId(), name+"_") {
		return true
	}
	return strings.HasPrefix(j.GetJobName(), javaAppName(name)+"-")
}

// javaAppName normalises an application name as Beam Java's
// PipelineOptions.JobNameFactory does.
func javaAppName(name string) string {
	b := []byte(strings.ToLower(name))
	for i, c := range b {
		if (c < 'a' || c > 'z') && (c < '0' || c > '9') {
			b[i] = '0'
		}
	}
	if len(b) > 0 && (b[0] < 'a' || b[0] > 'z') {
		b[0] = 'a'
	}
	return string(b)
}

func terminal(s jobpb.JobState_Enum) bool {
	switch s {
	case jobpb.JobState_DONE, jobpb.JobState_FAILED, jobpb.JobState_CANCELLED, jobpb.JobState_DRAINED, jobpb.JobState_UPDATED:
		return true
	}
	return false
}
