package devcluster

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	k8sruntime "github.com/sparkplane/sparkplane/internal/runtime/kubernetes"
)

// The systems BenchmarkPeers compares (SPARKPLANE_PEERS names them).
const (
	peerOperator  = "operator"   // the Kubeflow Spark Operator v2.3.0
	peerJobRunner = "job-runner" // sparkplane, spark-submit in a job runner pod (EMR's way)
	peerNative    = "native"     // sparkplane, the server creates the driver pod itself
)

const (
	// peerRelease is the release label of sparkplane's runs; the operator's
	// applications run the image sparkplane gives it.
	peerRelease = "emr-7.2.0-latest"
	// peerPiFile is pi.py in the Apache Spark image (sparkplane maps EMR's
	// /usr/lib/spark path there).
	peerPiFile = "local:///opt/spark/examples/src/main/python/pi.py"
	// peerMaxScenario bounds SPARKPLANE_PEER_TIMEOUT.
	peerMaxScenario = 2 * time.Hour
)

// BenchmarkPeers runs the same pi.py (1 executor; driver and executor of 1
// core and 1 GiB, CPU requests as the scenario says) through the Kubeflow
// Spark Operator v2.3.0 and through sparkplane in each submission mode, on
// the same embedded cluster, one system after the other for each scenario
// and round. A scenario submits N applications at once and measures, per
// application, submit → driver pod created (first seen by a watch) and
// submit → completed (the SparkApplication's applicationState COMPLETED,
// the job run COMPLETED; polled every 200 ms), and over the scenario the
// driver pods created per minute, the makespan (first submit → last
// completion), failures, and the controller process's CPU (its own and its
// waited-for children's: the operator's spark-submit JVMs) and peak RSS
// (VmHWM reset at the start; also the peak of its process tree's summed
// RSS, sampled every 250 ms).
//
// A scenario ends when every application ended, when nothing happened (no
// new driver pod, no application ending) for SPARKPLANE_PEER_STALL (3m: a
// deadlock, drivers waiting for executors that never fit), or after
// SPARKPLANE_PEER_TIMEOUT (20m); what did not complete counts as failed,
// is cancelled or deleted, and every pod is removed before the next one.
//
//	SPARKPLANE_PEER_SCENARIOS=1x3,20,50,20@250m,50@250m  N[xROUNDS][@CPU request], default CPU 90m
//	SPARKPLANE_PEERS=operator,job-runner,native
//	go test -run '^$' -bench Peers -benchtime 1x -timeout 180m -v ./test/devcluster/
//
// A sparkplane mode the server does not offer shows as an error row: runs
// refused, or (native) a job runner pod seen, so the mode was ignored.
func BenchmarkPeers(b *testing.B) {
	if b.N > 1 {
		b.Fatal("BenchmarkPeers runs its scenarios once: use -benchtime 1x")
	}
	scenarios, err := parsePeerScenarios(envOr("SPARKPLANE_PEER_SCENARIOS", "1x3,20,50,20@250m,50@250m"))
	if err != nil {
		b.Fatal(err)
	}
	names := strings.Split(envOr("SPARKPLANE_PEERS", strings.Join([]string{peerOperator, peerJobRunner, peerNative}, ",")), ",")
	limits := peerLimits{timeout: envDuration(b, "SPARKPLANE_PEER_TIMEOUT", 20*time.Minute), stall: envDuration(b, "SPARKPLANE_PEER_STALL", 3*time.Minute)}
	var peers []peer
	for _, n := range names {
		p := newPeer(b, strings.TrimSpace(n))
		defer p.close()
		p.prepare(b)
		peers = append(peers, p)
	}
	rows := map[string]*peerRow{}
	unavailable := map[string]string{} // a system that cannot run is not tried again
	for _, sc := range scenarios {
		for round := range sc.rounds {
			for _, p := range peers {
				res := &peerRound{err: unavailable[p.name()]}
				if res.err == "" {
					res = runPeerRound(b, p, sc, round, limits)
				}
				if strings.Contains(res.err, "not available") || strings.HasPrefix(res.err, "every submission refused") {
					unavailable[p.name()] = res.err
				}
				b.Logf("%s %s round %d: %s", p.name(), sc, round+1, res.summary())
				key := p.name() + " " + sc.String()
				if rows[key] == nil {
					rows[key] = &peerRow{peer: p.name(), scenario: sc}
				}
				rows[key].rounds = append(rows[key].rounds, res)
			}
		}
	}
	var ordered []*peerRow
	for _, sc := range scenarios {
		for _, p := range peers {
			ordered = append(ordered, rows[p.name()+" "+sc.String()])
		}
	}
	b.Logf("\n%s", peerTable(ordered))
	for _, r := range ordered {
		r.report(b)
	}
}

// peer is one system under comparison.
type peer interface {
	name() string
	namespace() string
	// pid is the controller process measured.
	pid() int
	prepare(b *testing.B)
	// submit starts one pi.py with driver and executor CPU requests cpu and
	// returns the key its driver pod carries (driverKey).
	submit(ctx context.Context, name, cpu string) (string, error)
	driverKey(pod *corev1.Pod) string
	// isSubmitterPod says whether pod is a job runner (spark-submit in a pod).
	isSubmitterPod(pod *corev1.Pod) bool
	// states reports the applications of keys that exist.
	states(ctx context.Context, keys map[string]bool) (map[string]peerOutcome, error)
	// abandon stops the given unfinished applications.
	abandon(ctx context.Context, keys []string) error
	close()
}

// peerOutcome is where one application is.
type peerOutcome struct {
	done, ok bool
	detail   string
}

func newPeer(b *testing.B, name string) peer {
	switch name {
	case peerOperator:
		dir, err := sparkOperatorDir()
		if err != nil {
			b.Fatal(err)
		}
		ns := "peers-operator"
		proc, err := startSparkOperator(context.Background(), dir, ns, filepath.Join(filepath.Dir(srv.logPath), "spark-operator.log"))
		if err != nil {
			b.Fatal(err)
		}
		st, _, err := layout.ReadState()
		if err != nil {
			b.Fatal(err)
		}
		dyn, err := dynamicClient(st.Kubeconfig)
		if err != nil {
			b.Fatal(err)
		}
		image := peerImage(b)
		return &operatorPeer{proc: proc, dyn: dyn, ns: ns, image: image, sparkV: imageSparkVersion(image)}
	case peerJobRunner, peerNative:
		return &sparkplanePeer{mode: name, ns: "peers-" + name}
	}
	b.Fatalf("SPARKPLANE_PEERS: unknown system %q (want %s, %s or %s)", name, peerOperator, peerJobRunner, peerNative)
	return nil
}

// peerImage is the image sparkplane runs the release with.
func peerImage(b *testing.B) string {
	best := k8sruntime.Image{}
	for _, im := range k8sruntime.DefaultImages {
		if strings.HasPrefix(peerRelease, im.ReleasePrefix) && len(im.ReleasePrefix) > len(best.ReleasePrefix) {
			best = im
		}
	}
	if best.Image == "" {
		b.Fatalf("no default image for %s", peerRelease)
	}
	return best.Image
}

// imageSparkVersion reads the Spark version of an apache/spark image tag
// ("apache/spark:3.5.7-java17-python3" → "3.5.7").
func imageSparkVersion(image string) string {
	_, tag, _ := strings.Cut(image, ":")
	v, _, _ := strings.Cut(tag, "-")
	return strings.TrimPrefix(v, "v")
}

// peerScenario is N applications submitted at once, rounds times.
type peerScenario struct {
	n, rounds int
	cpu       string
}

func (s peerScenario) String() string {
	out := fmt.Sprintf("N=%d @%s", s.n, s.cpu)
	if s.rounds > 1 {
		out += fmt.Sprintf(" ×%d", s.rounds)
	}
	return out
}

// parsePeerScenarios reads "1x3,20,50@250m": N[xROUNDS][@CPU].
func parsePeerScenarios(spec string) ([]peerScenario, error) {
	var out []peerScenario
	for _, item := range strings.Split(spec, ",") {
		item = strings.TrimSpace(item)
		sc := peerScenario{rounds: 1, cpu: "90m"}
		if rest, cpu, ok := strings.Cut(item, "@"); ok {
			item, sc.cpu = rest, cpu
		}
		n, rounds, hasRounds := strings.Cut(item, "x")
		var err error
		if sc.n, err = strconv.Atoi(n); err != nil || sc.n < 1 {
			return nil, fmt.Errorf("SPARKPLANE_PEER_SCENARIOS: %q: want N[xROUNDS][@CPU], e.g. 1x3 or 20@250m", item)
		}
		if hasRounds {
			if sc.rounds, err = strconv.Atoi(rounds); err != nil || sc.rounds < 1 {
				return nil, fmt.Errorf("SPARKPLANE_PEER_SCENARIOS: %q: bad round count", item)
			}
		}
		out = append(out, sc)
	}
	return out, nil
}

type peerLimits struct{ timeout, stall time.Duration }

// peerApp is one application of a round.
type peerApp struct {
	key                  string
	submit, driver, done time.Time
	scheduled            time.Time // the driver pod bound to a node
	ok                   bool
	detail               string
}

// peerRound is what one round of a scenario measured for one system.
type peerRound struct {
	apps          []*peerApp
	t0            time.Time
	usage         procUsage
	submitterPods int
	end           string // "" when every application ended
	err           string // the round measured nothing comparable
}

// runPeerRound submits the scenario's applications at once and follows
// them to the end, a stall or the timeout.
func runPeerRound(b *testing.B, p peer, sc peerScenario, round int, lim peerLimits) *peerRound {
	ctx := context.Background()
	res := &peerRound{}
	pods, err := watchPeerPods(ctx, p)
	if err != nil {
		b.Fatal(err)
	}
	defer pods.stop()
	meter, err := startProcMeter(p.pid())
	if err != nil {
		b.Fatal(err)
	}
	res.t0 = time.Now()
	stamp := res.t0.Format("150405")
	res.apps = make([]*peerApp, sc.n)
	var wg sync.WaitGroup
	for i := range sc.n {
		wg.Go(func() {
			a := &peerApp{submit: time.Now()}
			res.apps[i] = a
			key, err := p.submit(ctx, fmt.Sprintf("pi-%s-%d-%d", stamp, round, i), sc.cpu)
			a.key = key
			if err != nil {
				a.done, a.detail = time.Now(), "submit: "+err.Error()
			}
		})
	}
	wg.Wait()
	keys := map[string]bool{}
	for _, a := range res.apps {
		if a.key != "" {
			keys[a.key] = true
		}
	}
	if len(keys) == 0 {
		res.err = "every submission refused: " + res.apps[0].detail
	}
	lastProgress, seenDrivers := time.Now(), 0
	for len(keys) > 0 {
		time.Sleep(200 * time.Millisecond)
		now := time.Now()
		st, err := p.states(ctx, keys)
		if err != nil {
			b.Logf("%s: reading states: %v", p.name(), err)
			continue
		}
		left := 0
		for _, a := range res.apps {
			if a.key == "" || !a.done.IsZero() {
				continue
			}
			o := st[a.key]
			a.detail = o.detail
			if o.done {
				a.done, a.ok, lastProgress = now, o.ok, now
			} else {
				left++
			}
		}
		if p.name() == peerNative && pods.submitters() > 0 {
			break // the mode was ignored: nothing comparable to wait for
		}
		if n := pods.driverCount(); n != seenDrivers {
			seenDrivers, lastProgress = n, now
		}
		if left == 0 {
			break
		}
		if now.Sub(lastProgress) > lim.stall {
			res.end = fmt.Sprintf("stalled: nothing happened for %v, %d not ended", lim.stall, left)
			break
		}
		if now.Sub(res.t0) > lim.timeout {
			res.end = fmt.Sprintf("timed out after %v, %d not ended", lim.timeout, left)
			break
		}
	}
	if res.usage, err = meter.finish(); err != nil {
		b.Fatal(err)
	}
	for _, a := range res.apps {
		if a.key != "" {
			a.driver, a.scheduled = pods.driverSeen(a.key)
		}
	}
	res.submitterPods = pods.submitters()
	if p.name() == peerNative && res.submitterPods > 0 && res.err == "" {
		res.err = fmt.Sprintf("native mode not available: %d job runner pods ran (the server ignored submissionMode)", res.submitterPods)
	}
	cleanupPeerRound(b, p, res)
	return res
}

// cleanupPeerRound stops what did not end and deletes every pod of the
// peer's namespace, so the next round starts on an empty node.
func cleanupPeerRound(b *testing.B, p peer, res *peerRound) {
	ctx := context.Background()
	var open []string
	for _, a := range res.apps {
		if a.key != "" && a.done.IsZero() {
			open = append(open, a.key)
		}
	}
	if err := p.abandon(ctx, open); err != nil {
		b.Logf("%s: stopping %d unfinished applications: %v", p.name(), len(open), err)
	}
	zero := int64(0)
	pods := kube.CoreV1().Pods(p.namespace())
	for deadline := time.Now().Add(3 * time.Minute); ; time.Sleep(time.Second) {
		if err := pods.DeleteCollection(ctx, metav1.DeleteOptions{GracePeriodSeconds: &zero}, metav1.ListOptions{}); err != nil {
			b.Logf("delete the pods of %s: %v", p.namespace(), err)
		}
		list, err := pods.List(ctx, metav1.ListOptions{})
		if err == nil && len(list.Items) == 0 {
			return
		}
		if time.Now().After(deadline) {
			b.Fatalf("pods of %s still there 3 minutes after the round", p.namespace())
		}
	}
}

func envOr(name, def string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return def
}

func envDuration(b *testing.B, name string, def time.Duration) time.Duration {
	v := os.Getenv(name)
	if v == "" {
		return def
	}
	d, err := time.ParseDuration(v)
	if err != nil || d <= 0 || d > peerMaxScenario {
		b.Fatalf("%s=%q: want a duration up to %v", name, v, peerMaxScenario)
	}
	return d
}
