package multiserver

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/emrcontainers"
	"github.com/aws/aws-sdk-go-v2/service/emrcontainers/types"

	"github.com/sparkplane/sparkplane/internal/cli"
	"github.com/sparkplane/sparkplane/internal/emr"
	"github.com/sparkplane/sparkplane/internal/events"
	"github.com/sparkplane/sparkplane/internal/testenv"
	"github.com/sparkplane/sparkplane/internal/testenv/pgenv"
)

// exitApp is the PySpark entry point of the events test: it starts no
// Spark session (so a run costs a spark-submit and a Python process, not a
// job) and exits with its argument.
const exitApp = "import sys, time\ntime.sleep(float(sys.argv[2]))\nsys.exit(int(sys.argv[1]))\n"

// hookReceiver is the webhook of the events test: it keeps every event it
// is sent, in the order it received them, checking each signature.
type hookReceiver struct {
	t      *testing.T
	secret []byte

	mu     sync.Mutex
	events []emr.Event
}

func (h *hookReceiver) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(r.Body)
	if err != nil {
		return
	}
	if got, want := r.Header.Get(events.HeaderSignature), events.Sign(h.secret, body); got != want {
		h.t.Errorf("signature %q, want %q", got, want)
	}
	var ev emr.Event
	if err := json.Unmarshal(body, &ev); err != nil {
		h.t.Errorf("event %q: %v", body, err)
		w.WriteHeader(http.StatusBadRequest)
		return
	}
	if r.Header.Get(events.HeaderEventID) != ev.ID {
		h.t.Errorf("%s %q, want the event's id %q", events.HeaderEventID, r.Header.Get(events.HeaderEventID), ev.ID)
	}
	h.mu.Lock()
	h.events = append(h.events, ev)
	h.mu.Unlock()
}

func (h *hookReceiver) received() []emr.Event {
	h.mu.Lock()
	defer h.mu.Unlock()
	return slices.Clone(h.events)
}

// byRun returns the distinct events each run was sent, by run id, in the
// order they first arrived, and how many arrived again.
func byRun(evs []emr.Event) (map[string][]emr.Event, int) {
	out := map[string][]emr.Event{}
	seen := map[string]bool{}
	repeats := 0
	for _, ev := range evs {
		if seen[ev.ID] {
			repeats++
			continue
		}
		seen[ev.ID] = true
		out[ev.Detail.ID] = append(out[ev.Detail.ID], ev)
	}
	return out, repeats
}

// A webhook sees every state change of 100 real runs (completed, failed
// and cancelled), each run's in order, though the server that delivers
// them is killed with SIGKILL half-way and another takes its place on the
// same store: repeats are allowed, losses and gaps are not.
func TestWebhookSeesEveryTransitionAcrossKill(t *testing.T) {
	const runs = 100
	dbURL := pgenv.Start(t).NewDatabase(t)
	dataDir, logDir, shared := t.TempDir(), t.TempDir(), testenv.SharedDir(t)
	t.Cleanup(func() { killRuns(dataDir) })
	appPath := filepath.Join(shared, "exit.py")
	if err := os.WriteFile(appPath, []byte(exitApp), 0o644); err != nil {
		t.Fatal(err)
	}

	hook := &hookReceiver{t: t, secret: []byte("webhook-secret")}
	hs := httptest.NewServer(hook)
	defer hs.Close()
	secretFile := filepath.Join(t.TempDir(), "hook.secret")
	if err := os.WriteFile(secretFile, append(hook.secret, '\n'), 0o600); err != nil {
		t.Fatal(err)
	}
	cfgFile := filepath.Join(t.TempDir(), "config.yaml")
	cfg := fmt.Sprintf("events:\n  webhooks:\n    - name: test\n      url: %s/hook\n      secretFile: %s\n      timeout: 2s\n", hs.URL, secretFile)
	if err := os.WriteFile(cfgFile, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}

	a := startServer(t, "a", dbURL, dataDir, logDir, "--config", cfgFile)
	ctx := contextFor(t, 15*time.Minute)
	vc, err := a.Client.CreateVirtualCluster(ctx, &emrcontainers.CreateVirtualClusterInput{
		Name: aws.String("events"),
		ContainerProvider: &types.ContainerProvider{Type: types.ContainerProviderTypeEks, Id: aws.String("local"),
			Info: &types.ContainerInfoMemberEksInfo{Value: types.EksInfo{Namespace: aws.String("events")}}},
	})
	if err != nil {
		t.Fatalf("CreateVirtualCluster: %v", err)
	}
	vcID := aws.ToString(vc.Id)
	// Few runs at once, so that most wait PENDING and some are cancelled there.
	if code, out := patch(t, a.URL+"/virtualclusters/"+vcID, `{"clientToken":"limit","schedulerConfiguration":{"maxConcurrentJobRuns":3}}`); code != http.StatusOK {
		t.Fatalf("UpdateVirtualCluster: %d %v", code, out)
	}

	// Every fifth run fails, every tenth is cancelled (while it waits, or
	// while it runs: it sleeps a few seconds), the others complete.
	ids := make([]string, runs)
	for i := range runs {
		exit, sleep := "0", "0"
		switch {
		case i%5 == 1:
			exit = "3"
		case i%10 == 3:
			sleep = "8"
		}
		out, err := a.Client.StartJobRun(ctx, &emrcontainers.StartJobRunInput{
			VirtualClusterId: aws.String(vcID),
			Name:             aws.String(fmt.Sprint("run-", i)),
			ExecutionRoleArn: aws.String("arn:aws:iam::123456789012:role/emr-job"),
			ReleaseLabel:     aws.String("emr-7.2.0-latest"),
			JobDriver: &types.JobDriver{SparkSubmitJobDriver: &types.SparkSubmitJobDriver{
				EntryPoint:            aws.String(appPath),
				EntryPointArguments:   []string{exit, sleep},
				SparkSubmitParameters: aws.String("--conf spark.driver.memory=256m --conf spark.ui.enabled=false"),
			}},
		})
		if err != nil {
			t.Fatalf("StartJobRun %d: %v", i, err)
		}
		ids[i] = aws.ToString(out.Id)
	}
	cancel := func(s *server, from, to int) {
		for i := from; i < to; i++ {
			if i%10 != 3 {
				continue
			}
			_, err := s.Client.CancelJobRun(ctx, &emrcontainers.CancelJobRunInput{VirtualClusterId: aws.String(vcID), Id: aws.String(ids[i])})
			if err != nil {
				t.Logf("CancelJobRun %d: %v", i, err) // it may have ended already
			}
		}
	}
	cancel(a, 0, runs/2)

	// Kill a once the webhook has had a good part of the events and runs
	// are under way.
	deadline := time.Now().Add(10 * time.Minute)
	for len(hook.received()) < 2*runs {
		if time.Now().After(deadline) {
			t.Fatalf("the webhook got %d events in 10 minutes:\n%s", len(hook.received()), a.Log(t))
		}
		time.Sleep(100 * time.Millisecond)
	}
	a.Kill(t)
	before := len(hook.received())
	t.Logf("killed a after the webhook got %d events", before)

	b := startServer(t, "b", dbURL, dataDir, logDir, "--config", cfgFile)
	// `sparkplane runs --watch` from the first event kept, against b.
	watch := &lockedBuffer{}
	wctx, stopWatch := context.WithCancel(ctx)
	watchExit := make(chan int, 1)
	go func() {
		env := &cli.Env{Stdout: watch, Stderr: io.Discard, Getenv: func(string) string { return "" }}
		watchExit <- cli.Run(wctx, env, []string{"runs", "--watch", "--output", "json", "--after", "0", "--endpoint-url", b.URL, vcID})
	}()
	defer stopWatch()
	cancel(b, runs/2, runs)
	final := waitRuns(t, b, vcID, ids, 10*time.Minute, terminal)

	// Every event in the outbox reaches the webhook: wait until each run's
	// last event (its terminal state) has arrived.
	deadline = time.Now().Add(3 * time.Minute)
	for {
		got, _ := byRun(hook.received())
		missing := 0
		for _, id := range ids {
			evs := got[id]
			if len(evs) == 0 || string(evs[len(evs)-1].Detail.State) != string(final[id]) {
				missing++
			}
		}
		if missing == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("after 3 minutes %d runs' terminal events have not reached the webhook:\n%s", missing, b.Log(t))
		}
		time.Sleep(200 * time.Millisecond)
	}

	// The watch printed each state change, one JSON event a line, as the
	// webhook got them.
	var watched []emr.Event
	for {
		watched = watch.events(t)
		if len(watched) >= len(mustDistinct(hook.received())) || time.Now().After(deadline) {
			break
		}
		time.Sleep(200 * time.Millisecond)
	}
	stopWatch()
	if code := <-watchExit; code != 0 {
		t.Errorf("runs --watch exited %d", code)
	}
	if w, h := mustDistinct(watched), mustDistinct(hook.received()); !slices.Equal(w, h) {
		t.Errorf("runs --watch printed %d events, the webhook got %d distinct; the first differ at %d", len(w), len(h), firstDiff(w, h))
	}

	got, repeats := byRun(hook.received())
	t.Logf("the webhook got %d events, %d of them again", len(hook.received()), repeats)
	count := map[types.JobRunState]int{}
	runARN := emr.Partition{Partition: "aws", Region: "us-east-1", Account: "123456789012"}.JobRunARN
	for i, id := range ids {
		evs := got[id]
		var states []emr.JobRunState
		for n, ev := range evs {
			states = append(states, ev.Detail.State)
			switch {
			case ev.Detail.Sequence != int64(n+1):
				t.Errorf("run %d: event %d of %v has sequence %d: one is missing or out of order", i, n+1, states, ev.Detail.Sequence)
			case n == 0 && ev.Detail.State != emr.JobRunPending:
				t.Errorf("run %d: first event %s, want PENDING", i, ev.Detail.State)
			case n > 0 && !emr.CanTransition(states[n-1], ev.Detail.State):
				t.Errorf("run %d: %v: %s cannot follow %s, a change is missing", i, states, ev.Detail.State, states[n-1])
			case ev.Detail.VirtualClusterID != vcID || len(ev.Resources) != 1 || ev.Resources[0] != runARN(vcID, id) ||
				ev.Source != "aws.emr-containers" || ev.DetailType != "EMR Job Run State Change" || ev.Account != "123456789012" || ev.Region != "us-east-1":
				t.Errorf("run %d: event %+v", i, ev)
			}
		}
		count[final[id]]++
		last := states[len(states)-1]
		if string(last) != string(final[id]) {
			t.Errorf("run %d: events %v end in %s, the run in %s", i, states, last, final[id])
		}
		if final[id] == types.JobRunStateCompleted && !slices.Equal(states, []emr.JobRunState{emr.JobRunPending, emr.JobRunSubmitted, emr.JobRunRunning, emr.JobRunCompleted}) {
			t.Errorf("completed run %d: events %v, want PENDING, SUBMITTED, RUNNING, COMPLETED", i, states)
		}
		if final[id] == types.JobRunStateFailed && (len(states) < 2 || evs[len(evs)-1].Detail.FailureReason == "") {
			t.Errorf("failed run %d: events %v without a failure reason", i, states)
		}
	}
	t.Logf("runs: %v", count)
	if count[types.JobRunStateCompleted] == 0 || count[types.JobRunStateFailed] == 0 || count[types.JobRunStateCancelled] == 0 {
		t.Errorf("runs ended %v; want some of each of COMPLETED, FAILED and CANCELLED", count)
	}
	if t.Failed() {
		t.Logf("server a:\n%s\nserver b:\n%s", a.Log(t), b.Log(t))
	}
}

// lockedBuffer is the output of a command that runs while it is read.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

// events parses the complete lines written so far, each an event.
func (b *lockedBuffer) events(t *testing.T) []emr.Event {
	b.mu.Lock()
	text := b.buf.String()
	b.mu.Unlock()
	var out []emr.Event
	for line := range strings.Lines(text) {
		if !strings.HasSuffix(line, "\n") {
			break
		}
		var ev emr.Event
		if err := json.Unmarshal([]byte(line), &ev); err != nil {
			t.Fatalf("runs --watch printed %q: %v", line, err)
		}
		out = append(out, ev)
	}
	return out
}

// mustDistinct returns the ids of evs, each once, in the order they first
// came, run by run: the runs in the order their first event came.
func mustDistinct(evs []emr.Event) []string {
	got, _ := byRun(evs)
	var order []string
	seen := map[string]bool{}
	for _, ev := range evs {
		if !seen[ev.Detail.ID] {
			seen[ev.Detail.ID] = true
			order = append(order, ev.Detail.ID)
		}
	}
	var out []string
	for _, run := range order {
		for _, ev := range got[run] {
			out = append(out, ev.ID)
		}
	}
	return out
}

func firstDiff(a, b []string) int {
	for i := range min(len(a), len(b)) {
		if a[i] != b[i] {
			return i
		}
	}
	return min(len(a), len(b))
}

// patch sends a PATCH with a JSON body (UpdateVirtualCluster, which the
// pinned SDK predates).
func patch(t *testing.T, url, body string) (int, map[string]any) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPatch, url, strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out map[string]any
	_ = json.NewDecoder(resp.Body).Decode(&out)
	return resp.StatusCode, out
}
