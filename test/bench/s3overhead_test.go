package bench

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/emrcontainers"
	"github.com/aws/aws-sdk-go-v2/service/emrcontainers/types"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/parquet-go/parquet-go"

	"github.com/sparkplane/sparkplane/internal/config"
	"github.com/sparkplane/sparkplane/internal/emr"
	"github.com/sparkplane/sparkplane/internal/sparkdist"
	"github.com/sparkplane/sparkplane/internal/sparksubmit"
	"github.com/sparkplane/sparkplane/internal/testenv"
	"github.com/sparkplane/sparkplane/internal/testenv/s3env"
)

// BenchmarkS3ParquetOverhead compares, in the same run, a PySpark job
// reading ~1 GB of Parquet from the local S3 server (versitygw, through
// S3A) through sparkplane with the same spark-submit run by hand.
//
// The Parquet (event rows: seven columns, snappy, 256k-row row groups in
// ~42 MB objects) is written once per benchmark run with parquet-go and
// uploaded with the S3 client; SPARKPLANE_BENCH_S3_MB sets another size.
// Then one unmeasured run by hand warms the caches, and each b.N runs
// five pairs (SPARKPLANE_BENCH_PAIRS sets another number), alternating
// which side goes first (hand, api; api, hand; …). Medians are
// reported: wall time, the CPU time of spark-submit's process tree
// (childrenCPU), which other work on the machine changes much less, and
// the time that is sparkplane's alone: from a run's createdAt to starting
// spark-submit, and from its exit to the run's finishedAt.
//
// Through sparkplane: StartJobRun on the local runtime, timed from the
// run's own createdAt to finishedAt (as BenchmarkPiOverhead), and from the
// client's StartJobRun call to the DescribeJobRun that sees COMPLETED. By
// hand: the same spark-submit command line, spark-defaults.conf (checked
// against the run's own after each run through sparkplane), environment
// and credentials file, timed from its start to its exit. As root, both
// run as the job user (sparkplane-job) through setpriv, in a 0700 working
// folder of that user's, as the local runtime isolates runs.
func BenchmarkS3ParquetOverhead(b *testing.B) {
	if testing.Short() {
		b.Skip("runs Spark")
	}
	dist, err := sparkdist.Find("", config.ReadEnv())
	if err != nil {
		b.Fatal(err)
	}
	srv := s3env.Start(b)
	srv.CreateBucket(lakeBucket)
	t0 := time.Now()
	data := writeEvents(b, srv.Client(srv.Root()), int64(envInt(b, "SPARKPLANE_BENCH_S3_MB", 1024))<<20)
	b.Logf("data: %d objects, %d row groups, %d rows, %.0f MB in s3://%s/%s, generated and uploaded in %s",
		data.objects, data.rowGroups, data.rows, float64(data.bytes)/(1<<20), lakeBucket, eventsPrefix, time.Since(t0).Round(time.Millisecond))

	shared := testenv.SharedDir(b)
	script := filepath.Join(shared, "events_by_country.py")
	if err := os.WriteFile(script, []byte(eventsJob), 0o644); err != nil {
		b.Fatal(err)
	}
	jobsRoot := filepath.Join(shared, "jobs") // local.workDir: root's, 0711, as the runtime makes it

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var cfg config.Config // the server's, which the runs by hand copy
	c, vcID, dataDir := localServer(ctx, b, func(sc *config.Config) {
		sc.Local.WorkDir = jobsRoot
		sc.S3 = srv.Config()
		cfg = *sc
	})

	const (
		name   = "events-by-country"
		params = "--conf spark.executor.instances=2 --conf spark.executor.memory=2G --conf spark.executor.cores=1 " +
			"--conf spark.driver.cores=1 --conf spark.driver.memory=2G"
		role = "arn:aws:iam::123456789012:role/emr-job"
	)
	input := "s3a://" + lakeBucket + "/" + eventsPrefix
	hand := newHandRunner(b, cfg, dist, filepath.Join(jobsRoot, "by-hand"), name, params, script, input)

	out := hand.run(b) // warm-up, unmeasured: Spark's jars and the objects in the page cache
	want := jobResult(b, out)
	if want.rows != data.rows {
		b.Fatalf("the job counted %d rows, %d were written", want.rows, data.rows)
	}
	b.Logf("job result: %+v", want)

	var byHand, viaAPI, viaClient []time.Duration
	var handCPU, apiCPU, spawn, notice []time.Duration
	timeHand := func() {
		cpu0, t0 := childrenCPU(b), time.Now()
		out := hand.run(b)
		byHand = append(byHand, time.Since(t0))
		handCPU = append(handCPU, childrenCPU(b)-cpu0)
		if got := jobResult(b, out); got != want {
			b.Fatalf("by hand: %+v, want %+v", got, want)
		}
	}
	timeAPI := func() {
		cpu0, t0 := childrenCPU(b), time.Now()
		run, err := c.StartJobRun(ctx, &emrcontainers.StartJobRunInput{VirtualClusterId: aws.String(vcID), Name: aws.String(name),
			ExecutionRoleArn: aws.String(role), ReleaseLabel: aws.String("emr-7.2.0-latest"),
			JobDriver: &types.JobDriver{SparkSubmitJobDriver: &types.SparkSubmitJobDriver{
				EntryPoint: aws.String("file://" + script), EntryPointArguments: []string{input},
				SparkSubmitParameters: aws.String(params)}}})
		if err != nil {
			b.Fatal(err)
		}
		var createdAt, finishedAt time.Time
		for {
			d, err := c.DescribeJobRun(ctx, &emrcontainers.DescribeJobRunInput{VirtualClusterId: aws.String(vcID), Id: run.Id})
			if err != nil {
				b.Fatal(err)
			}
			if d.JobRun.State == types.JobRunStateCompleted {
				viaClient = append(viaClient, time.Since(t0))
				viaAPI = append(viaAPI, d.JobRun.FinishedAt.Sub(*d.JobRun.CreatedAt))
				createdAt, finishedAt = *d.JobRun.CreatedAt, *d.JobRun.FinishedAt
				break
			}
			if d.JobRun.State == types.JobRunStateFailed {
				b.Fatalf("run failed: %s", aws.ToString(d.JobRun.StateDetails))
			}
			time.Sleep(100 * time.Millisecond)
		}
		dir := filepath.Join(dataDir, "runs", vcID, aws.ToString(run.Id))
		// The pid file is written once spark-submit is started.
		pidFile := filepath.Join(dir, "pid")
		st, err := os.Stat(pidFile)
		if err != nil {
			b.Fatal(err)
		}
		spawn = append(spawn, st.ModTime().Sub(createdAt))
		// The exit file is written by spark-submit's wrapper as it ends.
		if st, err = os.Stat(filepath.Join(dir, "exit")); err != nil {
			b.Fatal(err)
		}
		notice = append(notice, finishedAt.Sub(st.ModTime()))
		// The runtime reaps spark-submit's wrapper in a goroutine of its
		// own, which may do so after the run is COMPLETED: its CPU time
		// counts once it has.
		var rec struct{ PID int }
		if err := json.Unmarshal([]byte(readAll(b, pidFile)), &rec); err != nil || rec.PID <= 0 {
			b.Fatalf("pid file: %v", err)
		}
		for range 250 {
			if _, err := os.Stat("/proc/" + strconv.Itoa(rec.PID)); os.IsNotExist(err) {
				break
			}
			time.Sleep(20 * time.Millisecond)
		}
		apiCPU = append(apiCPU, childrenCPU(b)-cpu0)
		if got := jobResult(b, readAll(b, filepath.Join(dir, "stdout"))); got != want {
			b.Fatalf("through sparkplane: %+v, want %+v", got, want)
		}
		if conf := readAll(b, filepath.Join(dir, "spark-defaults.conf")); conf != string(hand.defaults) {
			b.Fatalf("spark-defaults.conf through sparkplane:\n%s\nby hand:\n%s", conf, hand.defaults)
		}
	}
	for i := range envInt(b, "SPARKPLANE_BENCH_PAIRS", 5) * b.N {
		if i%2 == 0 {
			timeHand()
			timeAPI()
		} else {
			timeAPI()
			timeHand()
		}
		b.Logf("pair %d: by hand %s (CPU %s), sparkplane %s (client %s, CPU %s; createdAt to spark-submit started %s, "+
			"its exit to finishedAt %s); load average %s",
			i+1, byHand[i].Round(time.Millisecond), handCPU[i].Round(time.Millisecond), viaAPI[i].Round(time.Millisecond),
			viaClient[i].Round(time.Millisecond), apiCPU[i].Round(time.Millisecond), spawn[i].Round(time.Millisecond),
			notice[i].Round(time.Millisecond), loadAverage())
	}
	h, api := median(byHand), median(viaAPI)
	b.ReportMetric(h.Seconds(), "by-hand-s")
	b.ReportMetric(api.Seconds(), "sparkplane-s")
	b.ReportMetric(median(viaClient).Seconds(), "sparkplane-client-s")
	b.ReportMetric(100*(api.Seconds()/h.Seconds()-1), "overhead-%")
	b.ReportMetric(100*(median(viaClient).Seconds()/h.Seconds()-1), "client-overhead-%")
	b.ReportMetric(median(handCPU).Seconds(), "by-hand-cpu-s")
	b.ReportMetric(median(apiCPU).Seconds(), "sparkplane-cpu-s")
	b.ReportMetric(median(spawn).Seconds(), "spawn-s")
	b.ReportMetric(median(notice).Seconds(), "exit-to-finished-s")
	b.ReportMetric(0, "ns/op")
}

const (
	lakeBucket   = "lake"
	eventsPrefix = "events/"
)

// eventsJob reads the events, sums them by country and category, and
// prints the totals the benchmark checks every run against.
const eventsJob = `
import sys
from pyspark.sql import SparkSession, functions as F
spark = SparkSession.builder.getOrCreate()
df = spark.read.parquet(sys.argv[1])
groups = df.groupBy("country", "category").agg(
    F.count("*").alias("n"),
    F.sum("quantity").alias("units"),
    F.sum("amount").alias("revenue"),
    F.max("event_time").alias("last"),
    F.approx_count_distinct("customer_id").alias("customers"),
    F.sum("event_id").alias("ids")).collect()
total = df.count()
print("RESULT rows=%d groups=%d grouped=%d units=%d ids=%d" % (
    total, len(groups), sum(g["n"] for g in groups), sum(g["units"] for g in groups), sum(g["ids"] for g in groups)), flush=True)
spark.stop()
`

// result is what eventsJob prints.
type result struct{ rows, groups, grouped, units, ids int64 }

var patResult = regexp.MustCompile(`RESULT rows=(\d+) groups=(\d+) grouped=(\d+) units=(\d+) ids=(\d+)`)

func jobResult(tb testing.TB, stdout string) result {
	tb.Helper()
	m := patResult.FindStringSubmatch(stdout)
	if m == nil {
		tb.Fatalf("the job printed no result:\n%s", stdout)
	}
	var n [5]int64
	for i := range n {
		n[i], _ = strconv.ParseInt(m[i+1], 10, 64)
	}
	r := result{n[0], n[1], n[2], n[3], n[4]}
	if r.grouped != r.rows {
		tb.Fatalf("the groups hold %d rows of %d", r.grouped, r.rows)
	}
	return r
}

// handRunner runs the job's spark-submit by hand as the local runtime
// would: same command line, spark-defaults.conf, environment, user and
// credentials file.
type handRunner struct {
	dist     sparkdist.Dist
	root     string   // holds each run's working folder
	prefix   []string // setpriv as the job user; nil when not root
	uid, gid int
	env      []string // without the working folder's variables
	args     []string // spark-submit's, after --properties-file
	defaults []byte   // spark-defaults.conf
	creds    []byte   // the AWS credentials file
	n        int
}

func newHandRunner(tb testing.TB, cfg config.Config, dist sparkdist.Dist, root, name, params, script, input string) *handRunner {
	tb.Helper()
	h := &handRunner{dist: dist, root: root, uid: -1, gid: -1}
	// What local.Runtime.defaults gives a run with a credentials file.
	d := sparksubmit.WithS3A(sparksubmit.S3A{Endpoint: cfg.S3.Endpoint, Region: cfg.S3Region(), PathStyle: cfg.S3.PathStyle}, cfg.Local.SparkDefaults)
	if _, set := d["spark.hadoop.fs.s3a.aws.credentials.provider"]; !set {
		d["spark.hadoop.fs.s3a.aws.credentials.provider"] = sparksubmit.ProfileCredentialsChain
	}
	sub, err := sparksubmit.Build(&emr.JobRun{JobDriver: &emr.JobDriver{SparkSubmitJobDriver: &emr.SparkSubmitJobDriver{
		EntryPoint: script, SparkSubmitParameters: params}}}, d)
	if err != nil {
		tb.Fatal(err)
	}
	h.defaults = []byte(sub.DefaultsFile())
	h.args = []string{"--name", name}
	for _, c := range sub.Params.Conf {
		h.args = append(h.args, "--conf", c.Key+"="+c.Value)
	}
	h.args = append(h.args, script, input)
	if h.creds, err = os.ReadFile(cfg.S3.CredentialsFile); err != nil {
		tb.Fatal(err)
	}
	// local.Runtime.env, but for the working folder's variables (run adds them).
	for _, kv := range dist.Env(cfg.Env.JobEnv()) {
		switch k, _, _ := strings.Cut(kv, "="); k {
		case "HOME", "USER", "LOGNAME", "TMPDIR", "AWS_EC2_METADATA_DISABLED", "AWS_SHARED_CREDENTIALS_FILE", "AWS_CREDENTIAL_PROFILES_FILE":
		default:
			h.env = append(h.env, kv)
		}
	}
	if os.Geteuid() != 0 {
		return h // sparkplane runs jobs as its own user too
	}
	// As local.jobUser.setpriv: the job user's uid, gid and groups, no
	// capabilities, no new privileges.
	u, err := user.Lookup(cfg.Local.JobUserName())
	if err != nil {
		tb.Fatalf("job user: %v (scripts/setup.sh creates it)", err)
	}
	h.uid, _ = strconv.Atoi(u.Uid)
	h.gid, _ = strconv.Atoi(u.Gid)
	gids, err := u.GroupIds()
	if err != nil {
		tb.Fatal(err)
	}
	var groups []string
	for _, g := range gids {
		if g != "0" {
			groups = append(groups, g)
		}
	}
	setpriv, err := exec.LookPath("setpriv")
	if err != nil {
		tb.Fatal(err)
	}
	h.prefix = []string{setpriv, "--reuid=" + u.Uid, "--regid=" + u.Gid, "--groups=" + strings.Join(groups, ","),
		"--inh-caps=-all", "--no-new-privs", "--"}
	if len(groups) == 0 {
		h.prefix[3] = "--clear-groups"
	}
	h.env = append(h.env, "USER="+u.Username, "LOGNAME="+u.Username, "AWS_EC2_METADATA_DISABLED=true")
	return h
}

// run runs spark-submit once in a new working folder and returns its
// stdout; it fails tb if the job fails.
func (h *handRunner) run(tb testing.TB) string {
	tb.Helper()
	h.n++
	work := filepath.Join(h.root, strconv.Itoa(h.n))
	for _, d := range []string{filepath.Dir(h.root), h.root} {
		if err := os.Mkdir(d, 0o711); err != nil && !os.IsExist(err) {
			tb.Fatal(err)
		}
	}
	for _, d := range []string{work, filepath.Join(work, "tmp")} {
		if err := os.Mkdir(d, 0o700); err != nil {
			tb.Fatal(err)
		}
	}
	defaults, creds := filepath.Join(work, "spark-defaults.conf"), filepath.Join(work, "aws-credentials")
	for p, b := range map[string][]byte{defaults: h.defaults, creds: h.creds} {
		if err := os.WriteFile(p, b, 0o600); err != nil {
			tb.Fatal(err)
		}
	}
	if h.prefix != nil {
		for _, p := range []string{defaults, creds, filepath.Join(work, "tmp"), work} {
			if err := os.Lchown(p, h.uid, h.gid); err != nil {
				tb.Fatal(err)
			}
		}
	}
	logs := tb.TempDir() // stdout and stderr in files the server's user owns, as the runtime's
	stdout, err := os.Create(filepath.Join(logs, "stdout"))
	if err != nil {
		tb.Fatal(err)
	}
	defer stdout.Close()
	stderr, err := os.Create(filepath.Join(logs, "stderr"))
	if err != nil {
		tb.Fatal(err)
	}
	defer stderr.Close()

	args := append([]string{"--master", "local[2]", "--deploy-mode", "client", "--properties-file", defaults}, h.args...)
	umask := "" // the server's, when jobs run as its user
	if h.prefix != nil {
		umask = "077"
	}
	argv := append([]string{"-c", `[ -z "$1" ] || umask "$1"; shift; exec "$@"`, "sh", umask}, h.prefix...)
	cmd := exec.Command("/bin/sh", append(append(argv, h.dist.SparkSubmit()), args...)...)
	cmd.Dir, cmd.Stdout, cmd.Stderr = work, stdout, stderr
	cmd.Env = append(h.env, "HOME="+work, "AWS_SHARED_CREDENTIALS_FILE="+creds, "AWS_CREDENTIAL_PROFILES_FILE="+creds, "SPARK_LOCAL_IP=127.0.0.1")
	if h.prefix != nil {
		cmd.Env = append(cmd.Env, "TMPDIR="+filepath.Join(work, "tmp"))
	}
	if err := cmd.Run(); err != nil {
		tb.Fatalf("spark-submit by hand: %v\n%s", err, lastLines(readAll(tb, stderr.Name()), 40))
	}
	return readAll(tb, stdout.Name())
}

// event is a row of the benchmark's data: a sale.
type event struct {
	EventID    int64   `parquet:"event_id"`
	EventTime  int64   `parquet:"event_time,timestamp(microsecond)"`
	CustomerID int64   `parquet:"customer_id"`
	Country    string  `parquet:"country,dict"`
	Category   string  `parquet:"category,dict"`
	Quantity   int32   `parquet:"quantity"`
	Amount     float64 `parquet:"amount"`
}

var (
	countries  = strings.Fields("US US US US DE DE GB GB FR FR JP JP BR IN IN CA AU ES IT NL SE PL MX KR CH BE AT NO DK IE")
	categories = strings.Fields("books music video games toys garden kitchen sports beauty health grocery tools auto baby pets office shoes outdoor jewelry phones")
)

const (
	eventsPerObject   = 2_000_000
	eventsPerRowGroup = 256 * 1024
)

// eventsData is what writeEvents wrote.
type eventsData struct {
	objects, rowGroups int
	rows, bytes        int64
}

// writeEvents writes about size bytes of events as Parquet objects under
// s3://lakeBucket/eventsPrefix: the first object alone, which tells how
// many more make size, then the others two at a time.
func writeEvents(tb testing.TB, c *s3.Client, size int64) eventsData {
	tb.Helper()
	put := func(i int) (int64, error) {
		body, err := eventsObject(i)
		if err != nil {
			return 0, err
		}
		key := fmt.Sprintf("%spart-%05d.parquet", eventsPrefix, i)
		if _, err := c.PutObject(tb.Context(), &s3.PutObjectInput{Bucket: aws.String(lakeBucket), Key: aws.String(key),
			Body: bytes.NewReader(body)}); err != nil {
			return 0, fmt.Errorf("put %s: %w", key, err)
		}
		return int64(len(body)), nil
	}
	first, err := put(0)
	if err != nil {
		tb.Fatal(err)
	}
	n := max(1, int(math.Round(float64(size)/float64(first))))
	var (
		mu    sync.Mutex
		total = first
		errs  []error
		wg    sync.WaitGroup
		next  = make(chan int)
	)
	for range 2 {
		wg.Go(func() {
			for i := range next {
				size, err := put(i)
				mu.Lock()
				total += size
				if err != nil {
					errs = append(errs, err)
				}
				mu.Unlock()
			}
		})
	}
	for i := 1; i < n; i++ {
		next <- i
	}
	close(next)
	wg.Wait()
	if len(errs) > 0 {
		tb.Fatal(errs[0])
	}
	perObject := (eventsPerObject + eventsPerRowGroup - 1) / eventsPerRowGroup
	return eventsData{objects: n, rowGroups: n * perObject, rows: int64(n) * eventsPerObject, bytes: total}
}

// eventsObject is the i-th Parquet object: eventsPerObject events in
// row groups of eventsPerRowGroup, snappy-compressed data pages v1 of
// about 1 MB, as Spark writes them.
func eventsObject(i int) ([]byte, error) {
	var buf bytes.Buffer
	w := parquet.NewGenericWriter[event](&buf, parquet.Compression(&parquet.Snappy), parquet.DataPageVersion(1),
		parquet.PageBufferSize(1<<20), parquet.MaxRowsPerRowGroup(eventsPerRowGroup), parquet.CreatedBy("sparkplane-bench", "1", ""))
	rng := rand.New(rand.NewPCG(uint64(i), 0x5eed))
	start := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC).UnixMicro()
	batch := make([]event, 4096)
	for done := 0; done < eventsPerObject; done += len(batch) {
		batch = batch[:min(len(batch), eventsPerObject-done)]
		for j := range batch {
			id := int64(i)*eventsPerObject + int64(done+j)
			quantity := 1 + rng.IntN(5)
			batch[j] = event{
				EventID:    id,
				EventTime:  start + id*900_000 + rng.Int64N(900_000), // one event every ~0.9 s, in order
				CustomerID: 1 + rng.Int64N(1_000_000),
				Country:    countries[rng.IntN(len(countries))],
				Category:   categories[rng.IntN(len(categories))],
				Quantity:   int32(quantity),
				Amount:     float64(quantity*(99+rng.IntN(20_000))) / 100,
			}
		}
		if _, err := w.Write(batch); err != nil {
			return nil, err
		}
	}
	if err := w.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

func envInt(tb testing.TB, name string, def int) int {
	tb.Helper()
	s := os.Getenv(name)
	if s == "" {
		return def
	}
	n, err := strconv.Atoi(s)
	if err != nil || n <= 0 {
		tb.Fatalf("%s=%q: want a positive number", name, s)
	}
	return n
}

// childrenCPU is the user and system CPU time of this process's children
// that have ended and been waited for, with theirs: spark-submit's
// process tree, run by hand or by the local runtime in this process.
// Other work on the machine slows a run's wall time much more than it
// changes its CPU time.
func childrenCPU(tb testing.TB) time.Duration {
	tb.Helper()
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_CHILDREN, &ru); err != nil {
		tb.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// loadAverage is the machine's load average over 1, 5 and 15 minutes
// (other work on the same cores skews both sides).
func loadAverage() string {
	b, _ := os.ReadFile("/proc/loadavg")
	return strings.Join(strings.Fields(string(b))[:min(3, len(strings.Fields(string(b))))], " ")
}

func readAll(tb testing.TB, path string) string {
	tb.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		tb.Fatal(err)
	}
	return string(b)
}

func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	return strings.Join(lines[max(0, len(lines)-n):], "\n")
}
