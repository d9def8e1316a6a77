package devcluster

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/emrcontainers"
	"github.com/aws/aws-sdk-go-v2/service/emrcontainers/types"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	policyv1 "k8s.io/api/policy/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/sparkplane/sparkplane/internal/config"
	"github.com/sparkplane/sparkplane/internal/testenv/pgenv"
)

// The access key the releases' access file gives the AWS CLI, and the id
// they register their own cluster under.
const (
	helmKeyID     = "AKIAHELM000000000001"
	helmSecret    = "helm-test-secret-key-0123456789abcdefghij"
	helmClusterID = "helm-dev"
)

// release is a Helm release of the chart: its name, its namespace, and the
// namespace of the virtual cluster the test makes.
type release struct{ name, namespace, jobs string }

// selector selects every object of the release.
func (r release) selector() string { return "app.kubernetes.io/instance=" + r.name }

// service is the name of the release's Service (and of its other objects).
func (r release) service() string { return r.name + "-sparkplane" }

// helmAccess is the access file of the releases: one user allowed everything.
var helmAccess = map[string]any{
	"users":    []any{map[string]any{"name": "ana", "groups": []string{"admins"}, "accessKeys": []any{map[string]any{"id": helmKeyID, "secret": helmSecret}}}},
	"groups":   []any{map[string]any{"name": "admins", "policies": []string{"all"}}},
	"policies": map[string]any{"all": map[string]any{"Version": "2012-10-17", "Statement": []any{map[string]any{"Effect": "Allow", "Action": []string{"emr-containers:*", "iam:PassRole"}, "Resource": "*"}}}},
}

// TestHelmChart installs charts/sparkplane into the embedded cluster (its
// image runs this build of sparkplane, see podimage.SparkplaneRules): two
// servers on PostgreSQL, in-cluster configuration, an access file from a
// Secret. pi.py started with the AWS CLI through the Service (its cluster
// IP) runs on driver and executor pods; `helm upgrade` with a changed value
// rolls both servers while it runs, and it still completes with one driver
// and one job runner; `helm uninstall` leaves no object of the release.
func TestHelmChart(t *testing.T) {
	rel := release{name: "sp", namespace: "sparkplane-helm", jobs: "helm-jobs"}
	helmNamespace, helmJobs := rel.namespace, rel.jobs
	helm := helmBinary(t)
	st, ok, err := layout.ReadState()
	if err != nil || !ok {
		t.Fatalf("no running cluster: %v", err)
	}
	kubeconfig := st.Kubeconfig
	createNamespace(t, helmNamespace)
	createNamespace(t, helmJobs)

	// PostgreSQL on the host's loopback, which pods share; its password (if
	// any) goes into a Secret, as the chart wants.
	pgURL, pgPassword := splitPassword(t, pgenv.Start(t).NewDatabase(t))
	if _, err := kube.CoreV1().Secrets(helmNamespace).Create(context.Background(), &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{Name: "helm-test-pg"},
		StringData: map[string]string{"password": pgPassword}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	values := filepath.Join(t.TempDir(), "values.yaml")
	writeJSON(t, values, map[string]any{
		"replicaCount": 2,
		"image":        map[string]any{"tag": "devcluster"},
		"store": map[string]any{"type": "postgres", "postgres": map[string]any{"url": pgURL,
			"passwordSecret": map[string]any{"name": "helm-test-pg", "key": "password"}}},
		"server":   map[string]any{"listenOnPodIP": true}, // pods share the host's network here
		"clusters": []any{map[string]any{"id": helmClusterID, "inCluster": true, "sparkDefaults": config.DevSparkDefaults}},
		"rbac":     map[string]any{"scope": "namespaced", "namespaces": []string{helmJobs}},
		"auth":     map[string]any{"access": helmAccess},
		"config":   map[string]any{"security": map[string]any{"executionRoles": []any{map[string]any{"arn": "arn:aws:iam::123456789012:role/emr-job"}}}},
	})
	helmRun := helmRunner(t, helm, kubeconfig, rel)
	helmRun(5*time.Minute, "install", rel.name, chartDir, "-n", helmNamespace, "-f", values, "--wait", "--timeout", "4m")
	before := releasePods(t, rel)
	if len(before) != 2 {
		t.Fatalf("after install: server pods %v, want 2", before)
	}
	endpoint := serviceEndpoint(t, rel)
	if code := httpStatus(endpoint + "/readyz"); code != http.StatusOK {
		t.Fatalf("GET %s/readyz = %d, want 200", endpoint, code)
	}

	// The RBAC authorizer sees the chart's Role a moment after it exists.
	var vc struct{ ID string }
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(time.Second) {
		err := awsTry(endpoint, &vc, "create-virtual-cluster", "--name", helmJobs,
			"--container-provider", `{"id":"`+helmClusterID+`","type":"EKS","info":{"eksInfo":{"namespace":"`+helmJobs+`"}}}`)
		if err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal(err)
		}
	}
	var run struct{ ID string }
	awsAt(t, endpoint, &run, "start-job-run", "--virtual-cluster-id", vc.ID, "--name", "pi-helm",
		"--execution-role-arn", "arn:aws:iam::123456789012:role/emr-job", "--release-label", "emr-7.2.0-latest",
		"--job-driver", `{"sparkSubmitJobDriver":{"entryPoint":"`+piEntryPoint+`","entryPointArguments":["400"],"sparkSubmitParameters":"`+piParams+`"}}`)
	pods := watchRun(t, helmJobs, run.ID)
	at := waitStateAt(t, endpoint, vc.ID, run.ID, 5*time.Minute, func(s types.JobRunState) bool { return s == types.JobRunStateRunning || terminal(s) })
	if at.State != types.JobRunStateRunning {
		t.Fatalf("run %s is %s before the upgrade, want RUNNING", run.ID, at.State)
	}

	// A changed value rolls the Deployment while the run is RUNNING; once
	// the old servers are gone, the new ones drive it to the end.
	helmRun(5*time.Minute, "upgrade", rel.name, chartDir, "-n", helmNamespace, "-f", values, "--set", "server.logLevel=debug", "--wait", "--timeout", "4m")
	after := waitRolled(t, rel, before)
	rolledAt := time.Now()
	t.Logf("servers %v replaced by %v while run %s was RUNNING", before, after, run.ID)
	endpoint = serviceEndpoint(t, rel)
	got := waitStateAt(t, endpoint, vc.ID, run.ID, 10*time.Minute, terminal)
	if got.State != types.JobRunStateCompleted {
		t.Fatalf("run %s: %s (%s), want COMPLETED", run.ID, got.State, aws.ToString(got.StateDetails))
	}
	if got.FinishedAt == nil || !got.FinishedAt.After(rolledAt) {
		t.Fatalf("run %s finished at %v, before the old servers were gone (%v): the upgrade did not happen during the run", run.ID, got.FinishedAt, rolledAt)
	}
	t.Logf("run %s COMPLETED at %v, %v after the roll", run.ID, got.FinishedAt.Format(time.RFC3339), got.FinishedAt.Sub(rolledAt).Round(time.Second))
	drivers, executors, runners := pods.byRole("driver"), pods.byRole("executor"), pods.byRole("job-runner")
	if len(drivers) != 1 || len(runners) != 1 || len(executors) == 0 {
		t.Fatalf("run %s: %d drivers, %d job runners, %d executors; want 1, 1 and some", run.ID, len(drivers), len(runners), len(executors))
	}
	jobs, err := kube.BatchV1().Jobs(helmJobs).List(context.Background(), metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(jobs.Items) != 1 {
		t.Fatalf("job runner Jobs in %s: %d, want 1 (the run was submitted again?)", helmJobs, len(jobs.Items))
	}

	helmRun(3*time.Minute, "uninstall", rel.name, "-n", helmNamespace, "--wait", "--timeout", "2m")
	waitNoReleaseObjects(t, rel, 2*time.Minute)
}

// chartDir is charts/sparkplane.
var chartDir = filepath.Join("..", "..", "charts", "sparkplane")

// helmRunner returns a function that runs helm on the embedded cluster,
// logging how long it took and failing t with the release's pods when it
// fails. The release is uninstalled when t ends unless the test did.
func helmRunner(t *testing.T, helm, kubeconfig string, rel release) func(time.Duration, ...string) string {
	uninstalled := false
	t.Cleanup(func() {
		if !uninstalled {
			_, _ = runHelm(helm, kubeconfig, 2*time.Minute, "uninstall", rel.name, "-n", rel.namespace, "--wait")
		}
	})
	return func(timeout time.Duration, args ...string) string {
		t.Helper()
		start := time.Now()
		out, err := runHelm(helm, kubeconfig, timeout, args...)
		t.Logf("helm %s: %v", args[0], time.Since(start).Round(time.Millisecond))
		if err != nil {
			t.Fatalf("helm %s: %v\n%s\n----- pods -----\n%s", strings.Join(args, " "), err, out, describePods(rel.namespace))
		}
		if args[0] == "uninstall" {
			uninstalled = true
		}
		return out
	}
}

// helmBinary runs scripts/helm.sh (which builds helm into the cache when
// missing) and returns the binary's path.
func helmBinary(t *testing.T) string {
	t.Helper()
	cmd := exec.Command(filepath.Join("..", "..", "scripts", "helm.sh"))
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("scripts/helm.sh: %v\n%s", err, stderr.String())
	}
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	return lines[len(lines)-1]
}

func runHelm(helm, kubeconfig string, timeout time.Duration, args ...string) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, helm, append(args, "--kubeconfig", kubeconfig)...)
	cmd.Env = append(os.Environ(), "HELM_CACHE_HOME="+filepath.Join(os.TempDir(), "sparkplane-helm-test", "cache"),
		"HELM_CONFIG_HOME="+filepath.Join(os.TempDir(), "sparkplane-helm-test", "config"),
		"HELM_DATA_HOME="+filepath.Join(os.TempDir(), "sparkplane-helm-test", "data"))
	out, err := cmd.CombinedOutput()
	return string(out), err
}

// splitPassword takes the password out of a PostgreSQL URL.
func splitPassword(t *testing.T, raw string) (string, string) {
	t.Helper()
	u, err := url.Parse(raw)
	if err != nil {
		t.Fatal(err)
	}
	password, _ := u.User.Password()
	u.User = url.User(u.User.Username())
	return u.String(), password
}

func writeJSON(t *testing.T, path string, v any) {
	t.Helper()
	b, err := json.Marshal(v) // JSON is YAML
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
}

// releasePods lists the names of the release's running server pods.
func releasePods(t *testing.T, rel release) []string {
	t.Helper()
	list, err := kube.CoreV1().Pods(rel.namespace).List(context.Background(), metav1.ListOptions{LabelSelector: rel.selector()})
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, p := range list.Items {
		if p.DeletionTimestamp == nil && p.Status.Phase == corev1.PodRunning {
			names = append(names, p.Name)
		}
	}
	return names
}

// waitRolled waits until every server pod is a new one, running, and the
// old ones are gone from the API server (their processes have exited), and
// returns the new ones.
func waitRolled(t *testing.T, rel release, before []string) []string {
	t.Helper()
	deadline := time.Now().Add(2 * time.Minute)
	for {
		now := releasePods(t, rel)
		list, err := kube.CoreV1().Pods(rel.namespace).List(context.Background(), metav1.ListOptions{LabelSelector: rel.selector()})
		if err != nil {
			t.Fatal(err)
		}
		fresh := len(now) == len(before) && len(list.Items) == len(before)
		for _, p := range list.Items {
			fresh = fresh && !slices.Contains(before, p.Name)
		}
		if fresh {
			return now
		}
		if time.Now().After(deadline) {
			t.Fatalf("after upgrade: server pods %v (%d in all), before %v; want as many new ones and none of the old", now, len(list.Items), before)
		}
		time.Sleep(250 * time.Millisecond)
	}
}

// serviceEndpoint is the URL of the release's Service at its cluster IP
// (the node agent proxies cluster IPs to ready pods, as kube-proxy does),
// once a server answers /readyz there.
func serviceEndpoint(t *testing.T, rel release) string {
	t.Helper()
	svc, err := kube.CoreV1().Services(rel.namespace).Get(context.Background(), rel.service(), metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if svc.Spec.ClusterIP == "" || svc.Spec.ClusterIP == corev1.ClusterIPNone || len(svc.Spec.Ports) != 1 {
		t.Fatalf("service %s: cluster IP %q, ports %+v", svc.Name, svc.Spec.ClusterIP, svc.Spec.Ports)
	}
	u := "http://" + net.JoinHostPort(svc.Spec.ClusterIP, strconv.Itoa(int(svc.Spec.Ports[0].Port)))
	for deadline := time.Now().Add(time.Minute); httpStatus(u+"/readyz") != http.StatusOK; time.Sleep(500 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("%s/readyz does not answer 200 after a minute:\n%s", u, describePods(rel.namespace))
		}
	}
	return u
}

func httpStatus(u string) int {
	c := http.Client{Timeout: 5 * time.Second}
	resp, err := c.Get(u)
	if err != nil {
		return 0
	}
	resp.Body.Close()
	return resp.StatusCode
}

// awsAt runs `aws emr-containers` against endpoint with the release's
// access key.
func awsAt(t *testing.T, endpoint string, out any, args ...string) {
	t.Helper()
	if err := awsTry(endpoint, out, args...); err != nil {
		t.Fatal(err)
	}
}

// awsTry is awsAt returning its failure.
func awsTry(endpoint string, out any, args ...string) error {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "/usr/bin/aws", append([]string{"emr-containers", "--endpoint-url", endpoint, "--output", "json"}, args...)...)
	cmd.Env = append(os.Environ(), "AWS_ACCESS_KEY_ID="+helmKeyID, "AWS_SECRET_ACCESS_KEY="+helmSecret,
		"AWS_DEFAULT_REGION=us-east-1", "AWS_CONFIG_FILE=/dev/null", "AWS_SHARED_CREDENTIALS_FILE=/dev/null", "AWS_PAGER=")
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("aws emr-containers %s: %w\n%s", args[0], err, stderr.String())
	}
	if err := json.Unmarshal(stdout.Bytes(), out); err != nil {
		return fmt.Errorf("aws %s: %w\n%s", args[0], err, stdout.String())
	}
	return nil
}

// waitStateAt polls the run through endpoint (any server of the release)
// until done says so.
func waitStateAt(t *testing.T, endpoint, vc, id string, timeout time.Duration, done func(types.JobRunState) bool) *types.JobRun {
	t.Helper()
	c := emrcontainers.New(emrcontainers.Options{Region: "us-east-1", BaseEndpoint: aws.String(endpoint),
		Credentials: credentials.NewStaticCredentialsProvider(helmKeyID, helmSecret, "")})
	deadline := time.Now().Add(timeout)
	for {
		out, err := c.DescribeJobRun(context.Background(), &emrcontainers.DescribeJobRunInput{VirtualClusterId: &vc, Id: &id})
		if err == nil && done(out.JobRun.State) {
			return out.JobRun
		}
		if time.Now().After(deadline) {
			state := "?"
			if err == nil {
				state = string(out.JobRun.State) + " " + aws.ToString(out.JobRun.StateDetails)
			}
			t.Fatalf("run %s: still %s after %v (%v)\n%s", id, state, timeout, err, describePods("sparkplane-helm"))
		}
		time.Sleep(time.Second)
	}
}

// describePods says what the pods of ns are doing, and the end of the
// servers' logs, for failure messages.
func describePods(ns string) string {
	list, err := kube.CoreV1().Pods(ns).List(context.Background(), metav1.ListOptions{})
	if err != nil {
		return err.Error()
	}
	var b strings.Builder
	for _, p := range list.Items {
		fmt.Fprintf(&b, "%s %s ip=%s\n", p.Name, p.Status.Phase, p.Status.PodIP)
		for _, cs := range p.Status.ContainerStatuses {
			fmt.Fprintf(&b, "  %s ready=%v restarts=%d %+v\n", cs.Name, cs.Ready, cs.RestartCount, cs.State)
		}
		if logs, err := kube.CoreV1().Pods(ns).GetLogs(p.Name, &corev1.PodLogOptions{TailLines: aws.Int64(30)}).Do(context.Background()).Raw(); err == nil {
			fmt.Fprintf(&b, "%s\n", logs)
		}
	}
	return b.String()
}

// waitNoReleaseObjects waits until the API server holds no object labelled
// with the release, of any kind the chart makes or its Deployment leads to.
func waitNoReleaseObjects(t *testing.T, rel release, timeout time.Duration) {
	t.Helper()
	ctx := context.Background()
	opts := metav1.ListOptions{LabelSelector: rel.selector()}
	var left []string
	for deadline := time.Now().Add(timeout); ; time.Sleep(time.Second) {
		left = nil
		add := func(kind string, n int, err error) {
			if err != nil {
				left = append(left, kind+": "+err.Error())
			} else if n > 0 {
				left = append(left, fmt.Sprintf("%d %s", n, kind))
			}
		}
		for _, ns := range []string{rel.namespace, rel.jobs} {
			d, err := kube.AppsV1().Deployments(ns).List(ctx, opts)
			add(ns+" deployments", lenOr(d, func(l *appsv1.DeploymentList) int { return len(l.Items) }), err)
			rs, err := kube.AppsV1().ReplicaSets(ns).List(ctx, opts)
			add(ns+" replicasets", lenOr(rs, func(l *appsv1.ReplicaSetList) int { return len(l.Items) }), err)
			p, err := kube.CoreV1().Pods(ns).List(ctx, opts)
			add(ns+" pods", lenOr(p, func(l *corev1.PodList) int { return len(l.Items) }), err)
			s, err := kube.CoreV1().Services(ns).List(ctx, opts)
			add(ns+" services", lenOr(s, func(l *corev1.ServiceList) int { return len(l.Items) }), err)
			es, err := kube.DiscoveryV1().EndpointSlices(ns).List(ctx, metav1.ListOptions{LabelSelector: discoveryv1.LabelServiceName + "=" + rel.service()})
			add(ns+" endpointslices", lenOr(es, func(l *discoveryv1.EndpointSliceList) int { return len(l.Items) }), err)
			sa, err := kube.CoreV1().ServiceAccounts(ns).List(ctx, opts)
			add(ns+" serviceaccounts", lenOr(sa, func(l *corev1.ServiceAccountList) int { return len(l.Items) }), err)
			cm, err := kube.CoreV1().ConfigMaps(ns).List(ctx, opts)
			add(ns+" configmaps", lenOr(cm, func(l *corev1.ConfigMapList) int { return len(l.Items) }), err)
			sec, err := kube.CoreV1().Secrets(ns).List(ctx, opts)
			add(ns+" secrets", lenOr(sec, func(l *corev1.SecretList) int { return len(l.Items) }), err)
			pvc, err := kube.CoreV1().PersistentVolumeClaims(ns).List(ctx, opts)
			add(ns+" persistentvolumeclaims", lenOr(pvc, func(l *corev1.PersistentVolumeClaimList) int { return len(l.Items) }), err)
			r, err := kube.RbacV1().Roles(ns).List(ctx, opts)
			add(ns+" roles", lenOr(r, func(l *rbacv1.RoleList) int { return len(l.Items) }), err)
			rb, err := kube.RbacV1().RoleBindings(ns).List(ctx, opts)
			add(ns+" rolebindings", lenOr(rb, func(l *rbacv1.RoleBindingList) int { return len(l.Items) }), err)
			pdb, err := kube.PolicyV1().PodDisruptionBudgets(ns).List(ctx, opts)
			add(ns+" poddisruptionbudgets", lenOr(pdb, func(l *policyv1.PodDisruptionBudgetList) int { return len(l.Items) }), err)
		}
		cr, err := kube.RbacV1().ClusterRoles().List(ctx, opts)
		add("clusterroles", lenOr(cr, func(l *rbacv1.ClusterRoleList) int { return len(l.Items) }), err)
		crb, err := kube.RbacV1().ClusterRoleBindings().List(ctx, opts)
		add("clusterrolebindings", lenOr(crb, func(l *rbacv1.ClusterRoleBindingList) int { return len(l.Items) }), err)
		if len(left) == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("after helm uninstall, the release left: %s", strings.Join(left, ", "))
		}
	}
}

func lenOr[L any](l *L, n func(*L) int) int {
	if l == nil {
		return 0
	}
	return n(l)
}
