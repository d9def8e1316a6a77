package api_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/emrcontainers"
	"github.com/aws/aws-sdk-go-v2/service/emrcontainers/types"

	"github.com/sparkplane/sparkplane/internal/api"
	"github.com/sparkplane/sparkplane/internal/emr"
	"github.com/sparkplane/sparkplane/internal/store"
	"github.com/sparkplane/sparkplane/internal/store/sqlite"
)

// boundsServer serves a fresh store through api.LimitBodies(limit), with
// one RUNNING virtual cluster "vc"; it returns the server, its store and
// an AWS SDK client of it.
func boundsServer(t *testing.T, limit int64) (*httptest.Server, store.Store, *emrcontainers.Client) {
	t.Helper()
	st, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	vc := &emr.VirtualCluster{ID: "vc", Name: "vc", State: emr.VirtualClusterRunning,
		ContainerProvider: emr.ContainerProvider{Type: "EKS", ID: "local", Info: &emr.ContainerInfo{EKSInfo: &emr.EKSInfo{Namespace: "ns"}}}}
	if _, err := st.CreateVirtualCluster(context.Background(), vc, store.Idempotency{}); err != nil {
		t.Fatal(err)
	}
	h := api.New(st, nop{}, api.Options{Partition: emr.Partition{Partition: "aws", Region: "us-east-1", Account: "123456789012"},
		Clusters: []string{"local"}, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	srv := httptest.NewServer(api.LimitBodies(h, limit))
	t.Cleanup(srv.Close)
	c := emrcontainers.New(emrcontainers.Options{Region: "us-east-1", BaseEndpoint: aws.String(srv.URL),
		Credentials: credentials.NewStaticCredentialsProvider("AKIDTEST", "secret", "")})
	return srv, st, c
}

// call sends a raw request and returns its status, error type and body.
func call(t *testing.T, method, url string, body []byte) (int, string, string) {
	t.Helper()
	req, err := http.NewRequest(method, url, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header.Get("X-Amzn-ErrorType"), string(b)
}

// wantValidation fails unless err is a ValidationException whose message
// holds every one of want.
func wantValidation(t *testing.T, what string, err error, want ...string) {
	t.Helper()
	var ve *types.ValidationException
	if !errors.As(err, &ve) {
		t.Errorf("%s: error = %v, want a ValidationException", what, err)
		return
	}
	for _, w := range want {
		if !strings.Contains(ve.ErrorMessage(), w) {
			t.Errorf("%s: message %q does not name %q", what, ve.ErrorMessage(), w)
		}
	}
}

func runInput(args []string, params string) *emrcontainers.StartJobRunInput {
	return &emrcontainers.StartJobRunInput{
		VirtualClusterId: aws.String("vc"), Name: aws.String("r"),
		ExecutionRoleArn: aws.String("arn:aws:iam::123456789012:role/emr-job"), ReleaseLabel: aws.String("emr-7.2.0-latest"),
		JobDriver: &types.JobDriver{SparkSubmitJobDriver: &types.SparkSubmitJobDriver{
			EntryPoint: aws.String("local:///a.py"), EntryPointArguments: args, SparkSubmitParameters: aws.String(params)}},
	}
}

func countRuns(t *testing.T, st store.Store) int {
	t.Helper()
	n, err := st.CountJobRuns(context.Background(), "vc")
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// A body over the limit is a ValidationException naming the limit, through
// the SDK and raw, with or without a Content-Length; nothing is created.
func TestBodyOverTheLimit(t *testing.T) {
	srv, st, c := boundsServer(t, 64<<10)
	_, err := c.StartJobRun(context.Background(), runInput([]string{strings.Repeat("a", 10000), strings.Repeat("b", 10000),
		strings.Repeat("c", 10000), strings.Repeat("d", 10000), strings.Repeat("e", 10000), strings.Repeat("f", 10000), strings.Repeat("g", 10000)}, "--conf a=b"))
	wantValidation(t, "StartJobRun of 70 KB", err, "65536 bytes", "maxBodyBytes")
	// Chunked: no Content-Length to refuse up front.
	req, _ := http.NewRequest("POST", srv.URL+"/virtualclusters/vc/jobruns", io.MultiReader(strings.NewReader(`{"name":"`), strings.NewReader(strings.Repeat("x", 1<<20))))
	resp, err := http.DefaultClient.Do(req)
	if err == nil { // the server may close the connection before the client has sent it all
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 400 || resp.Header.Get("X-Amzn-ErrorType") != "ValidationException" || !strings.Contains(string(b), "65536") {
			t.Errorf("chunked 1 MiB: %d %s", resp.StatusCode, b)
		}
	}
	if n := countRuns(t, st); n != 0 {
		t.Errorf("%d runs created", n)
	}
	// At the limit exactly: decoded (and refused for what it says, not its size).
	body := []byte(`{"name":"` + strings.Repeat("x", 64<<10-11) + `"}`)
	if code, typ, msg := call(t, "POST", srv.URL+"/virtualclusters/vc/jobruns", body); code != 400 || typ != "ValidationException" || strings.Contains(msg, "maxBodyBytes") {
		t.Errorf("body of exactly the limit: %d %s %s", code, typ, msg)
	}
}

// ReadBody is the one path: a middleware may read the body first and put
// it back; the handler then reads the same bytes under the same cap.
func TestReadBodyTwice(t *testing.T) {
	var got [][]byte
	var errs []error
	h := api.LimitBodies(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, err := api.ReadBody(r, 0) // a signature-checking middleware
		errs = append(errs, err)
		if err == nil {
			r.Body = io.NopCloser(bytes.NewReader(b))
			b, err = api.ReadBody(r, 0) // the handler
			errs = append(errs, err)
		}
		got = append(got, b)
	}), 10)
	for _, body := range []string{"0123456789", "0123456789A"} {
		got, errs = nil, nil
		h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("POST", "/", strings.NewReader(body)))
		var e *emr.Error
		switch {
		case len(body) <= 10 && (len(errs) != 2 || errs[1] != nil || string(got[0]) != body):
			t.Errorf("%q: %q %v", body, got, errs)
		case len(body) > 10 && (len(errs) != 1 || !errors.As(errs[0], &e) || e.Code != emr.CodeValidation || !strings.Contains(e.Message, "at most 10 bytes")):
			t.Errorf("%q: %v, want a ValidationException naming the limit", body, errs)
		}
	}
	if api.BodyLimit(httptest.NewRequest("GET", "/", nil)) != api.DefaultMaxBodyBytes {
		t.Error("default limit")
	}
}

// Bytes that are not UTF-8 anywhere in a body are refused, not turned into
// U+FFFD and stored.
func TestInvalidUTF8Body(t *testing.T) {
	srv, st, _ := boundsServer(t, 0)
	for _, body := range [][]byte{
		[]byte("{\"clientToken\":\"t\",\"name\":\"a\xffb\",\"releaseLabel\":\"emr-7.2.0-latest\",\"executionRoleArn\":\"arn:aws:iam::123456789012:role/r\",\"jobDriver\":{\"sparkSubmitJobDriver\":{\"entryPoint\":\"local:///a.py\"}}}"),
		[]byte("{\"clientToken\":\"t\",\"releaseLabel\":\"emr-7.2.0-latest\",\"executionRoleArn\":\"arn:aws:iam::123456789012:role/r\",\"jobDriver\":{\"sparkSubmitJobDriver\":{\"entryPoint\":\"local:///a.py\",\"entryPointArguments\":[\"\xc0\x80\"]}}}"),
		[]byte("{\"unknown\xed\xa0\x80\":1}"),
	} {
		code, typ, msg := call(t, "POST", srv.URL+"/virtualclusters/vc/jobruns", body)
		if code != 400 || typ != "ValidationException" || !strings.Contains(msg, "UTF-8") {
			t.Errorf("%q: %d %s %s", body, code, typ, msg)
		}
	}
	if n := countRuns(t, st); n != 0 {
		t.Errorf("%d runs created", n)
	}
}

var listPaths = []string{"/virtualclusters", "/virtualclusters/vc/jobruns", "/virtualclusters/vc/endpoints", "/jobtemplates", "/securityconfigurations"}

// Every List operation refuses a createdAfter/createdBefore it cannot read
// as a finite time, naming the parameter.
func TestListBadTimes(t *testing.T) {
	srv, _, c := boundsServer(t, 0)
	for _, p := range listPaths {
		for _, param := range []string{"createdAfter", "createdBefore"} {
			for _, v := range []string{"abc", "NaN", "nan", "Infinity", "-Inf", "+Inf", "1e400", "1e9", "0x1p3", "10000-01-01T00:00:00Z", "99999999999999999999", "2024-13-01T00:00:00Z", "%FF"} {
				code, typ, msg := call(t, "GET", srv.URL+p+"?"+param+"="+url.QueryEscape(v), nil)
				if code != 400 || typ != "ValidationException" || !strings.Contains(msg, "'"+param+"'") {
					t.Errorf("%s %s=%s: %d %s %s", p, param, v, code, typ, msg)
				}
			}
			for _, v := range []string{"2024-01-31T12:00:00Z", "2024-01-31T12:00:00.123+02:00", "2024-01-31", "1706702400", "1706702400.5"} {
				if code, _, msg := call(t, "GET", srv.URL+p+"?"+param+"="+url.QueryEscape(v), nil); code != 200 {
					t.Errorf("%s %s=%s: %d %s", p, param, v, code, msg)
				}
			}
		}
	}
	// Through the SDK, which sends any time.Time it is given.
	_, err := c.ListJobRuns(context.Background(), &emrcontainers.ListJobRunsInput{VirtualClusterId: aws.String("vc"),
		CreatedAfter: aws.Time(time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC))})
	if err != nil {
		t.Error(err)
	}
}

// Every List operation answers a nextToken it did not hand out with a
// ValidationException naming nextToken, never a 500.
func TestListBadTokens(t *testing.T) {
	srv, st, c := boundsServer(t, 0)
	for i := range 3 {
		_, err := c.StartJobRun(context.Background(), runInput(nil, fmt.Sprintf("--conf a=%d", i)))
		if err != nil {
			t.Fatal(err)
		}
	}
	_, good, err := st.ListJobRuns(context.Background(), store.JobRunFilter{VirtualClusterID: "vc"}, store.Page{Limit: 1})
	if err != nil || good == "" {
		t.Fatal(good, err)
	}
	tokens := []string{"abc", "!!", "   ", "\x00", "%FF", strings.Repeat("A", 1024), "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
		good + "A", good[:len(good)-1], strings.ToUpper(good), "eyJhIjoxfQ", "MTcwNjcwMjQwMDAwMC5hYmM"}
	for _, p := range listPaths {
		for _, tok := range tokens {
			code, typ, msg := call(t, "GET", srv.URL+p+"?nextToken="+url.QueryEscape(tok), nil)
			if code != 400 || typ != "ValidationException" || !strings.Contains(msg, "nextToken") {
				t.Errorf("%s nextToken=%q: %d %s %s", p, tok, code, typ, msg)
			}
		}
	}
	_, err = c.ListJobRuns(context.Background(), &emrcontainers.ListJobRunsInput{VirtualClusterId: aws.String("vc"), NextToken: aws.String("garbage")})
	wantValidation(t, "ListJobRuns with a garbage token", err, "nextToken", "Invalid pagination token")
	// The token of one listing is no good for another query.
	_, err = c.ListJobRuns(context.Background(), &emrcontainers.ListJobRunsInput{VirtualClusterId: aws.String("vc"), NextToken: aws.String(good),
		States: []types.JobRunState{types.JobRunStatePending}})
	wantValidation(t, "another query's token", err, "nextToken")
	if _, err = c.ListJobRuns(context.Background(), &emrcontainers.ListJobRunsInput{VirtualClusterId: aws.String("vc"), NextToken: aws.String(good)}); err != nil {
		t.Errorf("the good token: %v", err)
	}
}

// StartJobRun bounds what a run may carry beyond each string's length, and
// creates nothing when it refuses.
func TestStartJobRunBounds(t *testing.T) {
	_, st, c := boundsServer(t, 16<<20)
	many := make([]string, emr.MaxEntryPointArguments+1)
	for i := range many {
		many[i] = "a"
	}
	big := make([]string, 103) // 103 × 10,240 bytes > 1 MiB
	for i := range big {
		big[i] = strings.Repeat("x", 10240)
	}
	cfgs := make([]types.Configuration, 0, 100)
	for range 100 {
		nested := make([]types.Configuration, 10)
		for i := range nested {
			nested[i] = types.Configuration{Classification: aws.String("c")}
		}
		cfgs = append(cfgs, types.Configuration{Classification: aws.String("spark-defaults"), Configurations: nested})
	}
	withOverrides := func(in *emrcontainers.StartJobRunInput, cfg ...types.Configuration) *emrcontainers.StartJobRunInput {
		in.ConfigurationOverrides = &types.ConfigurationOverrides{ApplicationConfiguration: cfg}
		return in
	}
	withRetry := func(n int32) *emrcontainers.StartJobRunInput {
		in := runInput(nil, "--conf a=b")
		in.RetryPolicyConfiguration = &types.RetryPolicyConfiguration{MaxAttempts: aws.Int32(n)}
		return in
	}
	for _, tc := range []struct {
		name string
		in   *emrcontainers.StartJobRunInput
		want []string
	}{
		{"10,001 arguments", runInput(many, ""), []string{"entryPointArguments", "10000"}},
		{"arguments over 1 MiB", runInput(big, ""), []string{"entryPointArguments", "1048576 bytes"}},
		{"sparkSubmitParameters over 102,400", runInput(nil, "--conf a="+strings.Repeat("b", 102400)), []string{"sparkSubmitParameters", "102400"}},
		{"2^31-1 executors", runInput(nil, "--conf spark.executor.instances=2147483647 --conf spark.executor.cores=2147483647"),
			[]string{"sparkSubmitParameters", "spark.executor.instances", "10000"}},
		{"--num-executors", runInput(nil, "--num-executors 10001"), []string{"sparkSubmitParameters", "spark.executor.instances"}},
		{"9e18 cores", runInput(nil, "--executor-cores 9000000000000000000"), []string{"spark.executor.cores", "1024"}},
		{"cores in spark-defaults", withOverrides(runInput(nil, ""), types.Configuration{Classification: aws.String("spark-defaults"),
			Properties: map[string]string{"spark.executor.cores": "1025"}}), []string{"configurationOverrides", "spark.executor.cores"}},
		{"1,100 configurations", withOverrides(runInput(nil, ""), cfgs...), []string{"applicationConfiguration", "1000"}},
		{"maxAttempts 0", withRetry(0), []string{"retryPolicyConfiguration.maxAttempts", "between 1 and 10"}},
		{"maxAttempts 11", withRetry(11), []string{"retryPolicyConfiguration.maxAttempts", "between 1 and 10"}},
		{"maxAttempts -2^31", withRetry(-1 << 31), []string{"retryPolicyConfiguration.maxAttempts"}},
	} {
		_, err := c.StartJobRun(context.Background(), tc.in)
		wantValidation(t, tc.name, err, tc.want...)
	}
	if n := countRuns(t, st); n != 0 {
		t.Errorf("%d runs created", n)
	}
	// Just within every bound.
	edge := runInput(big[:102], "--conf spark.executor.instances=10000 --conf spark.executor.cores=1024")
	edge.RetryPolicyConfiguration = &types.RetryPolicyConfiguration{MaxAttempts: aws.Int32(10)}
	if _, err := c.StartJobRun(context.Background(), edge); err != nil {
		t.Errorf("within the bounds: %v", err)
	}
}

// Numbers too large for their field are ValidationExceptions.
func TestHugeNumbers(t *testing.T) {
	srv, st, _ := boundsServer(t, 0)
	for _, n := range []string{"1e400", "2147483648", "99999999999999999999999", "-9223372036854775809", "1.5", "NaN"} {
		body := `{"clientToken":"t","releaseLabel":"emr-7.2.0-latest","executionRoleArn":"arn:aws:iam::123456789012:role/r",` +
			`"jobDriver":{"sparkSubmitJobDriver":{"entryPoint":"local:///a.py"}},"retryPolicyConfiguration":{"maxAttempts":` + n + `}}`
		code, typ, msg := call(t, "POST", srv.URL+"/virtualclusters/vc/jobruns", []byte(body))
		if code != 400 || typ != "ValidationException" {
			t.Errorf("maxAttempts %s: %d %s %s", n, code, typ, msg)
		}
	}
	if n := countRuns(t, st); n != 0 {
		t.Errorf("%d runs created", n)
	}
}

// A page of ListJobRuns is bounded in bytes as well as in count: runs
// with about 1 MB of arguments each come a few per page, every run once,
// and four clients paging at once stay far below hundreds of MiB.
func TestListJobRunsPagesBoundedInBytes(t *testing.T) {
	srv, st, c := boundsServer(t, 0)
	const runs = 50
	args := make([]string, 97) // 97 × 10,240 bytes ≈ 1 MB
	for i := range args {
		args[i] = strings.Repeat(string(rune('a'+i%26)), 10240)
	}
	ids := map[string]bool{}
	for i := range runs {
		out, err := c.StartJobRun(context.Background(), runInput(args, fmt.Sprintf("--conf n=%d", i)))
		if err != nil {
			t.Fatal(err)
		}
		ids[aws.ToString(out.Id)] = true
	}
	if countRuns(t, st) != runs {
		t.Fatal("runs missing")
	}

	// Raw: the size of each response, and the ids of every page.
	const maxPage = 4<<20 + 2<<20 // the page bound, plus the run that passes it
	type result struct {
		pages, maxBytes int
		seen            map[string]int
		err             error
	}
	results := make(chan result, 4)
	var peak peakHeap
	peak.start()
	for range 4 {
		go func() {
			r := result{seen: map[string]int{}}
			token := ""
			for {
				u := srv.URL + "/virtualclusters/vc/jobruns?maxResults=100"
				if token != "" {
					u += "&nextToken=" + url.QueryEscape(token)
				}
				resp, err := http.Get(u)
				if err != nil {
					r.err = err
					break
				}
				var page struct {
					JobRuns []struct {
						ID string `json:"id"`
					} `json:"jobRuns"`
					NextToken string `json:"nextToken"`
				}
				cr := &countingReader{r: resp.Body}
				err = json.NewDecoder(cr).Decode(&page)
				resp.Body.Close()
				if err != nil || resp.StatusCode != 200 {
					r.err = fmt.Errorf("page %d: %d %v", r.pages, resp.StatusCode, err)
					break
				}
				r.pages++
				r.maxBytes = max(r.maxBytes, cr.n)
				for _, run := range page.JobRuns {
					r.seen[run.ID]++
				}
				if token = page.NextToken; token == "" {
					break
				}
			}
			results <- r
		}()
	}
	for range 4 {
		r := <-results
		if r.err != nil {
			t.Fatal(r.err)
		}
		if r.maxBytes > maxPage {
			t.Errorf("a page of %d bytes, want at most %d", r.maxBytes, maxPage)
		}
		if r.pages < runs/5 {
			t.Errorf("%d pages for %d runs of 1 MB", r.pages, runs)
		}
		for id := range ids {
			if r.seen[id] != 1 {
				t.Errorf("run %s listed %d times", id, r.seen[id])
			}
		}
		if len(r.seen) != runs {
			t.Errorf("%d runs listed, want %d", len(r.seen), runs)
		}
		t.Logf("%d pages, largest %d bytes", r.pages, r.maxBytes)
	}
	grown := peak.stop()
	t.Logf("peak heap growth with 4 clients: %d MiB", grown>>20)
	if grown > 256<<20 {
		t.Errorf("the heap grew by %d MiB listing, want well under 256", grown>>20)
	}

	// The SDK paginator pages through them all too.
	n := 0
	p := emrcontainers.NewListJobRunsPaginator(c, &emrcontainers.ListJobRunsInput{VirtualClusterId: aws.String("vc")})
	for p.HasMorePages() {
		page, err := p.NextPage(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		n += len(page.JobRuns)
	}
	if n != runs {
		t.Errorf("SDK paginator listed %d runs, want %d", n, runs)
	}
}

type countingReader struct {
	r io.Reader
	n int
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += n
	return n, err
}
