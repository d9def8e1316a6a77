package kubernetes

import (
	"os"
	"slices"
	"strings"
	"testing"

	rbacv1 "k8s.io/api/rbac/v1"
	"sigs.k8s.io/yaml"
)

// TestNamespaceRoleIsRequired: the shipped Role grants exactly what the
// runtime checks for (and uses), no more and no less.
func TestNamespaceRoleIsRequired(t *testing.T) {
	b, err := os.ReadFile("../../../deploy/rbac/namespace-role.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var role rbacv1.Role
	if err := yaml.Unmarshal([]byte(strings.Split(string(b), "\n---\n")[0]), &role); err != nil {
		t.Fatal(err)
	}
	var granted []string
	for _, r := range role.Rules {
		if len(r.ResourceNames) > 0 || len(r.NonResourceURLs) > 0 {
			t.Errorf("rule %+v: resource names and URLs are not expected", r)
		}
		for _, g := range r.APIGroups {
			for _, res := range r.Resources {
				for _, v := range r.Verbs {
					granted = append(granted, permission{g, res, v}.String())
				}
			}
		}
	}
	var want []string
	for _, p := range required {
		want = append(want, p.String())
	}
	slices.Sort(granted)
	slices.Sort(want)
	if !slices.Equal(slices.Compact(granted), want) {
		t.Errorf("namespace-role.yaml grants\n  %v\nthe runtime requires\n  %v", granted, want)
	}
}

// TestSparkRolesAreNamespacedAndSmall: the job runner's and driver's Roles
// name pods, services, config maps and PVCs only, never secrets or update.
func TestSparkRolesAreNamespacedAndSmall(t *testing.T) {
	vc, run := testRun("")
	p, err := newPlan(vc, run, &Options{})
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range p.roles() {
		if r.Namespace != p.ns {
			t.Errorf("Role %s in %q", r.Name, r.Namespace)
		}
		for _, rule := range r.Rules {
			if !slices.Equal(rule.Resources, []string{"pods", "services", "configmaps", "persistentvolumeclaims"}) || slices.Contains(rule.Verbs, "update") || slices.Contains(rule.Verbs, "*") {
				t.Errorf("Role %s rule %+v", r.Name, rule)
			}
		}
	}
}
