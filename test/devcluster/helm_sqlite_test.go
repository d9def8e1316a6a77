package devcluster

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// TestHelmChartSQLite installs the chart's other shape into the embedded
// cluster: one server on the SQLite store, its PersistentVolumeClaim bound
// to a hostPath volume, RBAC cluster-wide. `helm upgrade` with a changed
// value replaces the server (Recreate) and the new one finds the state the
// old one kept on the claim; `helm uninstall` leaves no object of the
// release, the claim included.
func TestHelmChartSQLite(t *testing.T) {
	rel := release{name: "spl", namespace: "sparkplane-helm-sqlite", jobs: "helm-sqlite-jobs"}
	helm := helmBinary(t)
	st, ok, err := layout.ReadState()
	if err != nil || !ok {
		t.Fatalf("no running cluster: %v", err)
	}
	createNamespace(t, rel.namespace)
	createNamespace(t, rel.jobs)
	// The node has no provisioner: a hostPath volume waits for the claim.
	pv := &corev1.PersistentVolume{
		ObjectMeta: metav1.ObjectMeta{Name: "helm-sqlite-data"},
		Spec: corev1.PersistentVolumeSpec{
			Capacity:                      corev1.ResourceList{corev1.ResourceStorage: resource.MustParse("1Gi")},
			AccessModes:                   []corev1.PersistentVolumeAccessMode{corev1.ReadWriteOnce},
			PersistentVolumeReclaimPolicy: corev1.PersistentVolumeReclaimRetain,
			PersistentVolumeSource:        corev1.PersistentVolumeSource{HostPath: &corev1.HostPathVolumeSource{Path: filepath.Join(t.TempDir(), "data")}},
			ClaimRef:                      &corev1.ObjectReference{Namespace: rel.namespace, Name: rel.service() + "-data"},
		},
	}
	if _, err := kube.CoreV1().PersistentVolumes().Create(context.Background(), pv, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = kube.CoreV1().PersistentVolumes().Delete(context.Background(), pv.Name, metav1.DeleteOptions{})
	})
	values := filepath.Join(t.TempDir(), "values.yaml")
	writeJSON(t, values, map[string]any{
		"image":    map[string]any{"tag": "devcluster"},
		"server":   map[string]any{"listenOnPodIP": true},
		"clusters": []any{map[string]any{"id": helmClusterID, "inCluster": true}},
		"rbac":     map[string]any{"scope": "cluster"},
		"auth":     map[string]any{"access": helmAccess},
	})
	helmRun := helmRunner(t, helm, st.Kubeconfig, rel)
	helmRun(5*time.Minute, "install", rel.name, chartDir, "-n", rel.namespace, "-f", values, "--wait", "--timeout", "4m")
	before := releasePods(t, rel)
	if len(before) != 1 {
		t.Fatalf("after install: server pods %v, want 1", before)
	}
	var vc struct{ ID string }
	endpoint := serviceEndpoint(t, rel)
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(time.Second) {
		err := awsTry(endpoint, &vc, "create-virtual-cluster", "--name", rel.jobs,
			"--container-provider", `{"id":"`+helmClusterID+`","type":"EKS","info":{"eksInfo":{"namespace":"`+rel.jobs+`"}}}`)
		if err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal(err)
		}
	}

	helmRun(5*time.Minute, "upgrade", rel.name, chartDir, "-n", rel.namespace, "-f", values, "--set", "server.logLevel=debug", "--wait", "--timeout", "4m")
	waitRolled(t, rel, before)
	endpoint = serviceEndpoint(t, rel)
	var got struct {
		VirtualCluster struct{ ID, State string }
	}
	awsAt(t, endpoint, &got, "describe-virtual-cluster", "--id", vc.ID)
	if got.VirtualCluster.ID != vc.ID || got.VirtualCluster.State != "RUNNING" {
		t.Fatalf("after the upgrade the new server describes %+v, want %s RUNNING (kept on the claim)", got.VirtualCluster, vc.ID)
	}

	helmRun(3*time.Minute, "uninstall", rel.name, "-n", rel.namespace, "--wait", "--timeout", "2m")
	waitNoReleaseObjects(t, rel, 2*time.Minute)
}
