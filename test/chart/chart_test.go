package chart

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	policyv1 "k8s.io/api/policy/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	"sigs.k8s.io/yaml"

	"github.com/sparkplane/sparkplane/internal/config"
)

var chartDir = filepath.Join("..", "..", "charts", "sparkplane")

const release, namespace = "sp", "sparkplane"

// The values of each variant, as --set flags.
var (
	sqliteVariant   = []string{"auth.existingSecret=sparkplane-access", "rbac.namespaces={analytics,ml}"}
	postgresVariant = []string{"store.type=postgres", "replicaCount=3",
		"store.postgres.url=postgres://sparkplane@db.internal:5432/sparkplane?sslmode=require",
		"store.postgres.passwordSecret.name=sparkplane-db", "auth.existingSecret=sparkplane-access", "rbac.namespaces={analytics}"}
	clusterVariant = []string{"auth.existingSecret=sparkplane-access", "rbac.scope=cluster"}
)

var (
	helmOnce sync.Once
	helmPath string
	helmErr  error
)

// helm runs the helm binary of scripts/helm.sh (built into the cache on
// first use) and returns its combined output.
func helm(t *testing.T, args ...string) (string, error) {
	t.Helper()
	helmOnce.Do(func() {
		var stderr bytes.Buffer
		cmd := exec.Command(filepath.Join("..", "..", "scripts", "helm.sh"))
		cmd.Stderr = &stderr
		out, err := cmd.Output()
		if err != nil {
			helmErr = err
			helmPath = stderr.String()
			return
		}
		lines := strings.Split(strings.TrimSpace(string(out)), "\n")
		helmPath = lines[len(lines)-1]
	})
	if helmErr != nil {
		t.Fatalf("scripts/helm.sh: %v\n%s", helmErr, helmPath)
	}
	home := t.TempDir()
	cmd := exec.Command(helmPath, args...)
	cmd.Env = append(os.Environ(), "HELM_CACHE_HOME="+home, "HELM_CONFIG_HOME="+home, "HELM_DATA_HOME="+home)
	out, err := cmd.CombinedOutput()
	return string(out), err
}

func setFlags(values []string) []string {
	var args []string
	for _, v := range values {
		args = append(args, "--set", v)
	}
	return args
}

// rendered is the objects of one `helm template`, by kind.
type rendered map[string][][]byte

func render(t *testing.T, values ...string) rendered {
	t.Helper()
	out, err := helm(t, append([]string{"template", release, chartDir, "--namespace", namespace}, setFlags(values)...)...)
	if err != nil {
		t.Fatalf("helm template %v: %v\n%s", values, err, out)
	}
	r := rendered{}
	for _, doc := range strings.Split(out, "\n---") {
		var meta struct{ Kind string }
		if err := yaml.Unmarshal([]byte(doc), &meta); err != nil {
			t.Fatalf("rendered YAML: %v\n%s", err, doc)
		}
		if meta.Kind != "" {
			r[meta.Kind] = append(r[meta.Kind], []byte(doc))
		}
	}
	return r
}

// one decodes the only object of kind into out.
func (r rendered) one(t *testing.T, kind string, out any) {
	t.Helper()
	if len(r[kind]) != 1 {
		t.Fatalf("%d %s objects rendered, want 1", len(r[kind]), kind)
	}
	if err := yaml.UnmarshalStrict(r[kind][0], out); err != nil {
		t.Fatalf("%s: %v", kind, err)
	}
}

// all decodes every object of kind.
func all[T any](t *testing.T, r rendered, kind string) []T {
	t.Helper()
	var out []T
	for _, doc := range r[kind] {
		var v T
		if err := yaml.UnmarshalStrict(doc, &v); err != nil {
			t.Fatalf("%s: %v", kind, err)
		}
		out = append(out, v)
	}
	return out
}

func TestChartLints(t *testing.T) {
	for name, values := range map[string][]string{"sqlite": sqliteVariant, "postgres": postgresVariant, "cluster-rbac": clusterVariant} {
		t.Run(name, func(t *testing.T) {
			out, err := helm(t, append([]string{"lint", "--strict", chartDir, "--namespace", namespace}, setFlags(values)...)...)
			if err != nil || !strings.Contains(out, "0 chart(s) failed") {
				t.Fatalf("helm lint --strict: %v\n%s", err, out)
			}
		})
	}
}

// checkDeployment checks what every variant's Deployment must have: the
// restricted security context, the probes, the service account, and a
// configuration the server accepts.
func checkDeployment(t *testing.T, r rendered) (*appsv1.Deployment, config.Config) {
	t.Helper()
	var d appsv1.Deployment
	r.one(t, "Deployment", &d)
	pod := d.Spec.Template.Spec
	psc := pod.SecurityContext
	if psc == nil || psc.RunAsNonRoot == nil || !*psc.RunAsNonRoot || psc.SeccompProfile == nil || psc.SeccompProfile.Type != corev1.SeccompProfileTypeRuntimeDefault {
		t.Errorf("pod securityContext %+v: want runAsNonRoot and seccomp RuntimeDefault", psc)
	}
	if len(pod.Containers) != 1 {
		t.Fatalf("%d containers, want 1", len(pod.Containers))
	}
	c := pod.Containers[0]
	sc := c.SecurityContext
	if sc == nil || sc.AllowPrivilegeEscalation == nil || *sc.AllowPrivilegeEscalation || sc.ReadOnlyRootFilesystem == nil || !*sc.ReadOnlyRootFilesystem ||
		sc.Capabilities == nil || !reflect.DeepEqual(sc.Capabilities.Drop, []corev1.Capability{"ALL"}) {
		t.Errorf("container securityContext %+v: want no privilege escalation, a read-only root and every capability dropped", sc)
	}
	for name, p := range map[string]struct {
		probe *corev1.Probe
		path  string
	}{"liveness": {c.LivenessProbe, "/healthz"}, "startup": {c.StartupProbe, "/healthz"}, "readiness": {c.ReadinessProbe, "/readyz"}} {
		if p.probe == nil || p.probe.HTTPGet == nil || p.probe.HTTPGet.Path != p.path || p.probe.HTTPGet.Port.String() != "api" {
			t.Errorf("%s probe %+v: want GET %s on port api", name, p.probe, p.path)
		}
	}
	if c.Image != "ghcr.io/sparkplane/sparkplane:0.1.0" || len(c.Command) != 0 {
		t.Errorf("image %q command %q: want ghcr.io/sparkplane/sparkplane:<appVersion> and its entrypoint", c.Image, c.Command)
	}
	if c.Resources.Requests.Cpu().IsZero() || c.Resources.Limits.Memory().IsZero() {
		t.Errorf("resources %+v: want requests and a memory limit", c.Resources)
	}
	if pod.ServiceAccountName != release+"-sparkplane" {
		t.Errorf("serviceAccountName %q", pod.ServiceAccountName)
	}
	if !slices.Contains(c.Args, "--config=/etc/sparkplane/config/sparkplane.yaml") || !slices.Contains(c.Args, "--addr=0.0.0.0:8080") {
		t.Errorf("args %q", c.Args)
	}
	// The configuration file is one the server accepts, as it would load it.
	var cm corev1.ConfigMap
	r.one(t, "ConfigMap", &cm)
	path := filepath.Join(t.TempDir(), "sparkplane.yaml")
	if err := os.WriteFile(path, []byte(cm.Data["sparkplane.yaml"]), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg := config.Default()
	if err := cfg.Load(path); err != nil {
		t.Fatal(err)
	}
	cfg.Addr = "0.0.0.0:8080" // --addr
	if err := cfg.Validate(); err != nil {
		t.Fatalf("the server refuses the chart's configuration: %v\n%s", err, cm.Data["sparkplane.yaml"])
	}
	if cfg.DataDir != "/var/lib/sparkplane" || cfg.Security.Access != "/etc/sparkplane/access/access.yaml" ||
		len(cfg.Clusters) != 1 || !cfg.Clusters[0].InCluster {
		t.Errorf("configuration %+v: want the data dir on its volume, the access file of the secret, the in-cluster cluster", cfg)
	}
	mounts := map[string]string{}
	for _, m := range c.VolumeMounts {
		mounts[m.MountPath] = m.Name
	}
	for _, p := range []string{"/etc/sparkplane/config", "/etc/sparkplane/access", "/var/lib/sparkplane", "/tmp"} {
		if mounts[p] == "" {
			t.Errorf("nothing mounted at %s (read-only root: the server writes its data dir and temporary files)", p)
		}
	}
	// Every object is the release's.
	for kind, docs := range r {
		for _, doc := range docs {
			var meta struct {
				Metadata struct{ Labels map[string]string }
			}
			if err := yaml.Unmarshal(doc, &meta); err != nil || meta.Metadata.Labels["app.kubernetes.io/instance"] != release {
				t.Errorf("a %s is not labelled app.kubernetes.io/instance=%s: %v", kind, release, err)
			}
		}
	}
	return &d, cfg
}

func TestSQLiteVariant(t *testing.T) {
	r := render(t, sqliteVariant...)
	d, cfg := checkDeployment(t, r)
	if *d.Spec.Replicas != 1 || d.Spec.Strategy.Type != appsv1.RecreateDeploymentStrategyType {
		t.Errorf("replicas %d, strategy %s: want 1 and Recreate (one server opens the store file)", *d.Spec.Replicas, d.Spec.Strategy.Type)
	}
	if k, _ := cfg.StoreKind(); k != config.StoreSQLite {
		t.Errorf("store %q: want SQLite", k)
	}
	var pvc corev1.PersistentVolumeClaim
	r.one(t, "PersistentVolumeClaim", &pvc)
	var data *corev1.Volume
	for i, v := range d.Spec.Template.Spec.Volumes {
		if v.Name == "data" {
			data = &d.Spec.Template.Spec.Volumes[i]
		}
	}
	if data == nil || data.PersistentVolumeClaim == nil || data.PersistentVolumeClaim.ClaimName != pvc.Name {
		t.Errorf("data volume %+v: want the claim %s", data, pvc.Name)
	}
	if len(r["PodDisruptionBudget"]) != 0 {
		t.Error("a PodDisruptionBudget for one server: it would block every drain")
	}
	roles := all[rbacv1.Role](t, r, "Role")
	var where []string
	for _, role := range roles {
		where = append(where, role.Namespace)
		checkRules(t, "Role "+role.Namespace, role.Rules, "namespace-role.yaml", "Role")
	}
	if !reflect.DeepEqual(where, []string{"analytics", "ml"}) {
		t.Errorf("Roles in %v, want analytics and ml", where)
	}
	for _, rb := range all[rbacv1.RoleBinding](t, r, "RoleBinding") {
		checkSubject(t, "RoleBinding "+rb.Namespace, rb.Subjects)
	}
	if len(r["ClusterRole"]) != 1 { // nodes only
		t.Errorf("%d ClusterRoles, want the nodes one only", len(r["ClusterRole"]))
	}
	var nodes rbacv1.ClusterRole
	r.one(t, "ClusterRole", &nodes)
	checkRules(t, "ClusterRole "+nodes.Name, nodes.Rules, "cluster-role-nodes.yaml", "ClusterRole")
	var svc corev1.Service
	r.one(t, "Service", &svc)
	if !reflect.DeepEqual(svc.Spec.Selector, d.Spec.Selector.MatchLabels) || svc.Spec.Ports[0].TargetPort.String() != "api" {
		t.Errorf("service %+v does not reach the servers", svc.Spec)
	}
}

func TestPostgresVariant(t *testing.T) {
	r := render(t, postgresVariant...)
	d, cfg := checkDeployment(t, r)
	if *d.Spec.Replicas != 3 || d.Spec.Strategy.Type != appsv1.RollingUpdateDeploymentStrategyType ||
		d.Spec.Strategy.RollingUpdate.MaxUnavailable.IntValue() != 0 {
		t.Errorf("replicas %d, strategy %+v: want 3, rolling with none unavailable", *d.Spec.Replicas, d.Spec.Strategy)
	}
	if k, _ := cfg.StoreKind(); k != config.StorePostgres || cfg.Store != "postgres://sparkplane@db.internal:5432/sparkplane?sslmode=require" {
		t.Errorf("store %q", cfg.Store)
	}
	var password *corev1.EnvVar
	for i, e := range d.Spec.Template.Spec.Containers[0].Env {
		if e.Name == "PGPASSWORD" {
			password = &d.Spec.Template.Spec.Containers[0].Env[i]
		}
	}
	if password == nil || password.ValueFrom == nil || password.ValueFrom.SecretKeyRef == nil || password.ValueFrom.SecretKeyRef.Name != "sparkplane-db" {
		t.Errorf("PGPASSWORD %+v: want it from the secret sparkplane-db", password)
	}
	if len(r["PersistentVolumeClaim"]) != 0 {
		t.Error("a PersistentVolumeClaim with the PostgreSQL store")
	}
	var pdb policyv1.PodDisruptionBudget
	r.one(t, "PodDisruptionBudget", &pdb)
	if pdb.Spec.MaxUnavailable == nil || pdb.Spec.MaxUnavailable.IntValue() != 1 || !reflect.DeepEqual(pdb.Spec.Selector.MatchLabels, d.Spec.Selector.MatchLabels) {
		t.Errorf("PodDisruptionBudget %+v: want maxUnavailable 1 over the servers", pdb.Spec)
	}
}

func TestClusterScopedRBAC(t *testing.T) {
	r := render(t, clusterVariant...)
	checkDeployment(t, r)
	if len(r["Role"]) != 0 || len(r["RoleBinding"]) != 0 {
		t.Errorf("%d Roles, %d RoleBindings with rbac.scope=cluster, want none", len(r["Role"]), len(r["RoleBinding"]))
	}
	roles := map[string]rbacv1.ClusterRole{}
	for _, cr := range all[rbacv1.ClusterRole](t, r, "ClusterRole") {
		roles[cr.Name] = cr
	}
	checkRules(t, "ClusterRole sp-sparkplane", roles["sp-sparkplane"].Rules, "namespace-role.yaml", "Role")
	checkRules(t, "ClusterRole sp-sparkplane-nodes", roles["sp-sparkplane-nodes"].Rules, "cluster-role-nodes.yaml", "ClusterRole")
	bindings := all[rbacv1.ClusterRoleBinding](t, r, "ClusterRoleBinding")
	if len(bindings) != 2 {
		t.Fatalf("%d ClusterRoleBindings, want 2", len(bindings))
	}
	for _, b := range bindings {
		if _, ok := roles[b.RoleRef.Name]; !ok || b.RoleRef.Kind != "ClusterRole" {
			t.Errorf("ClusterRoleBinding %s binds %+v", b.Name, b.RoleRef)
		}
		checkSubject(t, "ClusterRoleBinding "+b.Name, b.Subjects)
	}
}

// checkRules compares rules with those of the kind object in
// deploy/rbac/file, which the README tells people without the chart to apply.
func checkRules(t *testing.T, what string, rules []rbacv1.PolicyRule, file, kind string) {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("..", "..", "deploy", "rbac", file))
	if err != nil {
		t.Fatal(err)
	}
	for _, doc := range strings.Split(string(data), "\n---") {
		var obj struct {
			Kind  string
			Rules []rbacv1.PolicyRule
		}
		if err := yaml.Unmarshal([]byte(doc), &obj); err != nil {
			t.Fatal(err)
		}
		if obj.Kind == kind {
			if !reflect.DeepEqual(rules, obj.Rules) {
				t.Errorf("%s rules differ from deploy/rbac/%s:\n got %+v\nwant %+v", what, file, rules, obj.Rules)
			}
			return
		}
	}
	t.Fatalf("deploy/rbac/%s has no %s", file, kind)
}

func checkSubject(t *testing.T, what string, subjects []rbacv1.Subject) {
	t.Helper()
	want := []rbacv1.Subject{{Kind: "ServiceAccount", Name: release + "-sparkplane", Namespace: namespace}}
	if !reflect.DeepEqual(subjects, want) {
		t.Errorf("%s subjects %+v, want %+v", what, subjects, want)
	}
}

func TestServiceMonitor(t *testing.T) {
	r := render(t, append(slices.Clone(postgresVariant), "metrics.serviceMonitor.enabled=true", "metrics.bearerTokenSecret.name=scrape")...)
	var sm struct {
		Spec struct {
			Endpoints []struct {
				Port, Path    string
				Authorization struct {
					Type        string
					Credentials struct{ Name, Key string }
				}
			}
		}
	}
	if len(r["ServiceMonitor"]) != 1 {
		t.Fatalf("%d ServiceMonitors, want 1", len(r["ServiceMonitor"]))
	}
	if err := yaml.Unmarshal(r["ServiceMonitor"][0], &sm); err != nil {
		t.Fatal(err)
	}
	if len(sm.Spec.Endpoints) != 1 || sm.Spec.Endpoints[0].Path != "/metrics" || sm.Spec.Endpoints[0].Authorization.Credentials.Name != "scrape" {
		t.Errorf("ServiceMonitor endpoints %+v", sm.Spec.Endpoints)
	}
	_, cfg := checkDeployment(t, r)
	if cfg.Metrics.BearerTokenFile != "/etc/sparkplane/metrics/token" {
		t.Errorf("metrics.bearerTokenFile %q", cfg.Metrics.BearerTokenFile)
	}
	if plain := render(t, postgresVariant...); len(plain["ServiceMonitor"]) != 0 {
		t.Error("a ServiceMonitor by default: it needs the prometheus-operator's CRDs")
	}
}

// TestRefusals: values that cannot work fail to render, saying what to do.
func TestRefusals(t *testing.T) {
	for name, c := range map[string]struct {
		values []string
		want   string
	}{
		"sqlite with two servers": {append(slices.Clone(sqliteVariant), "replicaCount=2"), "replicaCount 2 with store.type=sqlite"},
		"postgres without a URL":  {[]string{"store.type=postgres", "replicaCount=2", "auth.existingSecret=a", "rbac.scope=cluster"}, "store.postgres.url: required"},
		"a password in the URL":   {[]string{"store.type=postgres", "store.postgres.url=postgres://u:pw@db/x", "auth.existingSecret=a", "rbac.scope=cluster"}, "holds a password"},
		"no authentication":       {[]string{"rbac.scope=cluster"}, "auth: callers must be authenticated"},
		"no namespaces":           {[]string{"auth.existingSecret=a"}, "rbac.namespaces: list the namespaces"},
		"an unknown store":        {[]string{"store.type=mysql", "auth.existingSecret=a", "rbac.scope=cluster"}, "/store/type': value must be one of 'sqlite', 'postgres'"},
		"a misspelt value":        {append(slices.Clone(clusterVariant), "replicas=2"), "additional properties 'replicas' not allowed"},
		"no cluster":              {[]string{"clusters=null", "auth.existingSecret=a", "rbac.scope=cluster"}, "clusters: register at least one"},
		"a scrape without token":  {append(slices.Clone(clusterVariant), "metrics.serviceMonitor.enabled=true"), "metrics.bearerTokenSecret.name"},
	} {
		t.Run(name, func(t *testing.T) {
			out, err := helm(t, append([]string{"template", release, chartDir, "--namespace", namespace}, setFlags(c.values)...)...)
			if err == nil || !strings.Contains(out, c.want) {
				t.Fatalf("helm template %v: err %v, output:\n%s\nwant a failure saying %q", c.values, err, out, c.want)
			}
		})
	}
}
