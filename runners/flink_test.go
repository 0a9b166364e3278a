package runners

import (
	"context"
	"net"
	"sync"
	"testing"
	"time"

	jobpb "github.com/apache/beam/sdks/v2/go/pkg/beam/model/jobmanagement_v1"
	"google.golang.org/grpc"
)

// fakeJobService lists a fixed set of jobs and records cancellations; the
// job named "late" appears only after the first GetJobs call, as a job
// still staging its artifacts does.
type fakeJobService struct {
	jobpb.UnimplementedJobServiceServer
	mu        sync.Mutex
	jobs      []*jobpb.JobInfo
	late      *jobpb.JobInfo
	calls     int
	cancelled []string
}

func (f *fakeJobService) GetJobs(context.Context, *jobpb.GetJobsRequest) (*jobpb.GetJobsResponse, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls++
	if f.calls == 2 && f.late != nil {
		f.jobs = append(f.jobs, f.late)
	}
	return &jobpb.GetJobsResponse{JobInfo: append([]*jobpb.JobInfo(nil), f.jobs...)}, nil
}

func (f *fakeJobService) Cancel(_ context.Context, r *jobpb.CancelJobRequest) (*jobpb.CancelJobResponse, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.cancelled = append(f.cancelled, r.GetJobId())
	return &jobpb.CancelJobResponse{State: jobpb.JobState_CANCELLING}, nil
}

func startFake(t *testing.T, f *fakeJobService) string {
	t.Helper()
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := grpc.NewServer()
	jobpb.RegisterJobServiceServer(srv, f)
	go srv.Serve(lis)
	t.Cleanup(srv.Stop)
	return lis.Addr().String()
}

func TestCancelJobCancelsOnlyTheNamedRunningJob(t *testing.T) {
	f := &fakeJobService{jobs: []*jobpb.JobInfo{
		{JobId: "other_1", JobName: "other", State: jobpb.JobState_RUNNING},
		{JobId: "mine_2", JobName: "mine", State: jobpb.JobState_RUNNING},
	}}
	addr := startFake(t, f)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := cancelJob(ctx, addr, "mine"); err != nil {
		t.Fatal(err)
	}
	if len(f.cancelled) != 1 || f.cancelled[0] != "mine_2" {
		t.Fatalf("cancelled %v, want [mine_2]", f.cancelled)
	}
}

func TestCancelJobWaitsForAJobStillBeingSubmitted(t *testing.T) {
	f := &fakeJobService{late: &jobpb.JobInfo{JobId: "mine_7", JobName: "mine", State: jobpb.JobState_STARTING}}
	addr := startFake(t, f)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := cancelJob(ctx, addr, "mine"); err != nil {
		t.Fatal(err)
	}
	if len(f.cancelled) != 1 || f.cancelled[0] != "mine_7" {
		t.Fatalf("cancelled %v, want [mine_7]", f.cancelled)
	}
}

func TestCancelJobLeavesFinishedJobsAlone(t *testing.T) {
	f := &fakeJobService{jobs: []*jobpb.JobInfo{{JobId: "mine_3", JobName: "mine", State: jobpb.JobState_DONE}}}
	addr := startFake(t, f)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := cancelJob(ctx, addr, "mine"); err != nil {
		t.Fatal(err)
	}
	if len(f.cancelled) != 0 {
		t.Fatalf("cancelled %v, want none", f.cancelled)
	}
}

func TestCancelJobGivesUpWhenTheJobNeverAppears(t *testing.T) {
	addr := startFake(t, &fakeJobService{})
	ctx, cancel := context.WithTimeout(context.Background(), 1200*time.Millisecond)
	defer cancel()
	if err := cancelJob(ctx, addr, "mine"); err == nil {
		t.Fatal("want an error for a job the server does not know")
	}
}

func TestCancelJobFindsJavaNormalisedJobNames(t *testing.T) {
	f := &fakeJobService{jobs: []*jobpb.JobInfo{
		{JobId: "beamlens0anomalies0120-root-1123230754-77aa_uuid", JobName: "beamlens0anomalies0120-root-1123230754-77aa", State: jobpb.JobState_RUNNING},
		{JobId: "beamlens0anomalies012-root-1123230754-5f2a_uuid", JobName: "beamlens0anomalies012-root-1123230754-5f2a", State: jobpb.JobState_RUNNING},
	}}
	addr := startFake(t, f)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := cancelJob(ctx, addr, "beamlens-anomalies-12"); err != nil {
		t.Fatal(err)
	}
	if len(f.cancelled) != 1 || f.cancelled[0] != "beamlens0anomalies012-root-1123230754-5f2a_uuid" {
		t.Fatalf("cancelled %v, want only the job named after beamlens-anomalies-12", f.cancelled)
	}
}

func TestJavaAppName(t *testing.T) {
	for in, want := range map[string]string{"beamlens-themes-1.5": "beamlens0themes0105", "9lives": "alives", "": ""} {
		if got := javaAppName(in); got != want {
			t.Errorf("javaAppName(%q) = %q, want %q", in, got, want)
		}
	}
}
