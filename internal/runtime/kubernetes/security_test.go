package kubernetes

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// writeTemplate writes a pod template into dir and returns its path.
func writeTemplate(t *testing.T, dir, name, body string) string {
	t.Helper()
	path := filepath.Join(dir, name)
	if err := os.WriteFile(path, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestPodTemplateRefusals: each field that reaches the node is refused,
// in every kind of container, unless the cluster allows privileged
// templates; another role's secret is refused even then.
func TestPodTemplateRefusals(t *testing.T) {
	const other = "arn:aws:iam::123456789012:role/Other"
	for _, tc := range []struct {
		name, spec, field string
		evenPrivileged    bool
	}{
		{"hostPath", "volumes: [{name: h, hostPath: {path: /}}]", "spec.volumes[h].hostPath", false},
		{"nodeName", "nodeName: n1", "spec.nodeName", false},
		{"hostNetwork", "hostNetwork: true", "spec.hostNetwork", false},
		{"hostPID", "hostPID: true", "spec.hostPID", false},
		{"hostIPC", "hostIPC: true", "spec.hostIPC", false},
		{"sidecar privileged", "containers: [{name: side, image: x, securityContext: {privileged: true}}]", "spec.containers[side].securityContext.privileged", false},
		{"init escalation", "initContainers: [{name: init, image: x, securityContext: {allowPrivilegeEscalation: true}}]", "spec.initContainers[init].securityContext.allowPrivilegeEscalation", false},
		{"restartable sidecar caps", "initContainers: [{name: sc, image: x, restartPolicy: Always, securityContext: {capabilities: {add: [NET_BIND_SERVICE, SYS_ADMIN]}}}]", "spec.initContainers[sc].securityContext.capabilities.add[SYS_ADMIN]", false},
		{"ephemeral procMount", "ephemeralContainers: [{name: dbg, image: x, securityContext: {procMount: Unmasked}}]", "spec.ephemeralContainers[dbg].securityContext.procMount", false},
		{"sidecar hostPort", "containers: [{name: side, image: x, ports: [{containerPort: 80, hostPort: 80}]}]", "spec.containers[side].ports.hostPort", false},
		{"hostProcess", "initContainers: [{name: w, image: x, securityContext: {windowsOptions: {hostProcess: true}}}]", "spec.initContainers[w].securityContext.windowsOptions.hostProcess", false},
		{"other role's secret env", "containers: [{name: spark-kubernetes-driver, envFrom: [{secretRef: {name: other-secret}}]}]", "spec.containers[spark-kubernetes-driver].envFrom.secretRef", true},
		{"other role's secret key", "initContainers: [{name: i, image: x, env: [{name: K, valueFrom: {secretKeyRef: {name: other-secret, key: k}}}]}]", "spec.initContainers[i].env[K].secretKeyRef", true},
		{"other role's secret volume", "volumes: [{name: s, secret: {secretName: other-secret}}]", "spec.volumes[s].secret", true},
		{"other role's projected secret", "volumes: [{name: s, projected: {sources: [{secret: {name: other-secret}}]}}]", "spec.volumes[s].projected.secret", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			path := writeTemplate(t, dir, "t.yaml", "apiVersion: v1\nkind: Pod\nspec:\n  "+tc.spec+"\n")
			vc, run := testRun("--conf spark.kubernetes.driver.podTemplateFile=" + path)
			opts := &Options{PodTemplateDirs: []string{dir}, Roles: map[string]RoleGrant{other: {KubernetesSecret: "other-secret"}}}
			_, err := newPlan(vc, run, opts)
			if err == nil || !strings.Contains(err.Error(), tc.field) {
				t.Fatalf("got %v, want a refusal naming %s", err, tc.field)
			}
			opts.AllowPrivilegedPodTemplates = true
			_, err = newPlan(vc, run, opts)
			if tc.evenPrivileged != (err != nil) {
				t.Errorf("with allowPrivilegedPodTemplates: %v", err)
			}
		})
	}
}

// TestPodTemplateSafeFieldsPass: a template with a sidecar, a restartable
// init container, NET_BIND_SERVICE and the role's own secret is admitted.
func TestPodTemplateSafeFieldsPass(t *testing.T) {
	dir := t.TempDir()
	path := writeTemplate(t, dir, "t.yaml", `apiVersion: v1
kind: Pod
spec:
  volumes: [{name: own, secret: {secretName: mine}}, {name: tmp, emptyDir: {}}]
  initContainers: [{name: sc, image: x, restartPolicy: Always, securityContext: {allowPrivilegeEscalation: false, capabilities: {add: [NET_BIND_SERVICE], drop: [ALL]}}}]
  containers: [{name: side, image: y, ports: [{containerPort: 8080}]}]
`)
	vc, run := testRun("--conf spark.kubernetes.executor.podTemplateFile=" + path)
	p, err := newPlan(vc, run, &Options{PodTemplateDirs: []string{dir}, Roles: map[string]RoleGrant{run.ExecutionRoleARN: {KubernetesSecret: "mine"}}})
	if err != nil {
		t.Fatal(err)
	}
	if len(p.executor.Spec.InitContainers) != 1 || len(p.executor.Spec.Containers) != 2 {
		t.Errorf("executor template %+v", p.executor.Spec)
	}
}

// TestPodTemplateFilesOnlyFromAllowedFolders: a missing file, a folder, a
// file outside the folders, a symbolic link out of them and a relative path
// all get the same message, which says nothing of the file.
func TestPodTemplateFilesOnlyFromAllowedFolders(t *testing.T) {
	allowed, outside := t.TempDir(), t.TempDir()
	secret := writeTemplate(t, outside, "t.yaml", "apiVersion: v1\nkind: Pod\n")
	if err := os.Symlink(secret, filepath.Join(allowed, "link.yaml")); err != nil {
		t.Fatal(err)
	}
	unreadable := writeTemplate(t, allowed, "unreadable.yaml", "apiVersion: v1\nkind: Pod\n")
	if err := os.Chmod(unreadable, 0); err != nil {
		t.Fatal(err)
	}
	for _, path := range []string{
		filepath.Join(allowed, "missing.yaml"), allowed, secret, filepath.Join(allowed, "link.yaml"),
		filepath.Join(allowed, "..", filepath.Base(outside), "t.yaml"), "t.yaml", "file://" + secret, unreadable,
	} {
		if path == unreadable && os.Geteuid() == 0 {
			continue // root reads it anyway
		}
		_, err := loadUserTemplate(path, localTemplates([]string{allowed}))
		if err == nil || err.Error() != errTemplateUnreadable(path).Error() {
			t.Errorf("%s: %v", path, err)
		}
	}
	if _, err := loadUserTemplate(secret, localTemplates(nil)); err == nil || err.Error() != errTemplateUnreadable(secret).Error() {
		t.Errorf("no folders configured: %v", err)
	}
	ok := writeTemplate(t, allowed, "ok.yaml", "apiVersion: v1\nkind: Pod\n")
	if pod, err := loadUserTemplate("file://"+ok, localTemplates([]string{allowed})); err != nil || pod == nil {
		t.Errorf("allowed file: %v", err)
	}
}

// TestRoleGrants: the run's service accounts carry the role ARN for IRSA;
// a role's secret reaches its job runner, driver and executor containers
// and its use is granted to the client and driver accounts only; another
// role's runs reference nothing.
func TestRoleGrants(t *testing.T) {
	vc, run := testRun("")
	opts := &Options{Roles: map[string]RoleGrant{run.ExecutionRoleARN: {KubernetesSecret: "aws-creds"}}}
	p, err := newPlan(vc, run, opts)
	if err != nil {
		t.Fatal(err)
	}
	for _, sa := range p.serviceAccounts() {
		if sa.Annotations[AnnotationRoleARN] != run.ExecutionRoleARN {
			t.Errorf("service account %s annotations %v", sa.Name, sa.Annotations)
		}
	}
	refs := func(p *plan) []string {
		var out []string
		for _, e := range p.job().Spec.Template.Spec.Containers[0].EnvFrom {
			out = append(out, "runner:"+e.SecretRef.Name)
		}
		for _, e := range p.driver.Spec.Containers[0].EnvFrom {
			out = append(out, "driver:"+e.SecretRef.Name)
		}
		for _, e := range p.executor.Spec.Containers[0].EnvFrom {
			out = append(out, "executor:"+e.SecretRef.Name)
		}
		return out
	}
	if got := strings.Join(refs(p), " "); got != "runner:aws-creds driver:aws-creds executor:aws-creds" {
		t.Errorf("secret references %q", got)
	}
	role, rb := p.secretRole(), p.secretRoleBinding()
	if r := role.Rules[0]; len(r.ResourceNames) != 1 || r.ResourceNames[0] != "aws-creds" || r.Verbs[0] != VerbUseSecret || len(rb.Subjects) != 2 {
		t.Errorf("secret role %+v binding %+v", role, rb)
	}
	run.ExecutionRoleARN = "arn:aws:iam::123456789012:role/Other"
	q, err := newPlan(vc, run, opts)
	if err != nil {
		t.Fatal(err)
	}
	if got := refs(q); len(got) != 0 || q.secretRole() != nil {
		t.Errorf("another role's run references %v", got)
	}
}
