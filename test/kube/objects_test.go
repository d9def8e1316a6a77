package kube

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/emrcontainers/types"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/yaml"

	"github.com/sparkplane/sparkplane/internal/emr"
	k8sruntime "github.com/sparkplane/sparkplane/internal/runtime/kubernetes"
)

// TestStartJobRunCreatesEMRObjects checks every object of a run as the API
// server holds it: names, labels, owners, spark-defaults, pod templates,
// service accounts and RBAC.
func TestStartJobRunCreatesEMRObjects(t *testing.T) {
	ns := namespace(t)
	s := startServer(t, "", "")
	vc := createVC(t, s.Client, ns)
	id := startPi(t, s.Client, vc, &types.ConfigurationOverrides{ApplicationConfiguration: []types.Configuration{
		{Classification: aws.String("spark-defaults"), Properties: map[string]string{"spark.driver.memory": "3G", "spark.sql.shuffle.partitions": "7"}},
		{Classification: aws.String("emr-job-submitter"), Properties: map[string]string{"jobsubmitter.node.selector.pool": "system"}},
	}})
	waitState(t, s.Client, vc, id, types.JobRunStateSubmitted)
	ctx := context.Background()
	runLabels := map[string]string{k8sruntime.LabelJobID: id, k8sruntime.LabelVirtualCluster: vc}

	job, err := kube.BatchV1().Jobs(ns).Get(ctx, id, metav1.GetOptions{})
	if err != nil {
		t.Fatalf("job runner Job %s: %v", id, err)
	}
	wantLabels(t, "Job", job.Labels, runLabels)
	pod := job.Spec.Template
	wantLabels(t, "job runner pod template", pod.Labels, map[string]string{k8sruntime.LabelComponent: "job.submitter", k8sruntime.LabelResourceType: "job.run"})
	if *job.Spec.BackoffLimit != 0 || pod.Spec.RestartPolicy != corev1.RestartPolicyNever || pod.Spec.NodeSelector["pool"] != "system" {
		t.Errorf("job spec: backoffLimit %d restart %s nodeSelector %v", *job.Spec.BackoffLimit, pod.Spec.RestartPolicy, pod.Spec.NodeSelector)
	}
	b36 := emr.Base36("EMRJobRole")
	if want := "emr-containers-sa-spark-client-123456789012-" + b36; pod.Spec.ServiceAccountName != want {
		t.Errorf("job runner service account %s, want %s", pod.Spec.ServiceAccountName, want)
	}
	cmd := strings.Join(pod.Spec.Containers[0].Command, " ")
	for _, want := range []string{"/opt/spark/bin/spark-submit", "--properties-file /etc/spark/conf/spark-defaults.conf",
		"--conf spark.executor.instances=2", "local:///opt/spark/examples/src/main/python/pi.py 10"} {
		if !strings.Contains(cmd, want) {
			t.Errorf("job runner command %q lacks %q", cmd, want)
		}
	}
	if img := pod.Spec.Containers[0].Image; img != "apache/spark:3.5.7-java17-python3" {
		t.Errorf("image %s for emr-7.2.0-latest", img)
	}

	for _, name := range []string{id + "-spark-defaults", "podtemplate-" + id} {
		cm, err := kube.CoreV1().ConfigMaps(ns).Get(ctx, name, metav1.GetOptions{})
		if err != nil {
			t.Fatalf("ConfigMap %s: %v", name, err)
		}
		wantLabels(t, name, cm.Labels, runLabels)
		if len(cm.OwnerReferences) != 1 || cm.OwnerReferences[0].UID != job.UID || !*cm.OwnerReferences[0].Controller {
			t.Errorf("ConfigMap %s owners %+v, want the Job", name, cm.OwnerReferences)
		}
	}
	defaults, _ := kube.CoreV1().ConfigMaps(ns).Get(ctx, id+"-spark-defaults", metav1.GetOptions{})
	conf := defaults.Data["spark-defaults.conf"]
	for _, want := range []string{
		"spark.driver.memory 3G\n", "spark.sql.shuffle.partitions 7\n", // the classification wins over the defaults
		"spark.kubernetes.namespace " + ns + "\n",
		"spark.master k8s://https://kubernetes.default.svc:443\n",
		"spark.kubernetes.driver.pod.name spark-" + id + "-driver\n",
		"spark.kubernetes.driver.label.emr-containers.amazonaws.com/job.id " + id + "\n",
		"spark.kubernetes.executor.label.emr-containers.amazonaws.com/virtual-cluster-id " + vc + "\n",
		"spark.kubernetes.authenticate.driver.serviceAccountName emr-containers-sa-spark-driver-123456789012-" + b36 + "\n",
	} {
		if !strings.Contains(conf, want) {
			t.Errorf("spark-defaults.conf lacks %q:\n%s", want, conf)
		}
	}
	tmpl, _ := kube.CoreV1().ConfigMaps(ns).Get(ctx, "podtemplate-"+id, metav1.GetOptions{})
	var driver corev1.Pod
	if err := yaml.Unmarshal([]byte(tmpl.Data["driver"]), &driver); err != nil {
		t.Fatalf("driver template: %v", err)
	}
	wantLabels(t, "driver template", driver.Labels, map[string]string{k8sruntime.LabelComponent: "driver", k8sruntime.LabelJobID: id})
	if driver.Spec.Containers[0].Name != "spark-kubernetes-driver" {
		t.Errorf("driver template containers %+v", driver.Spec.Containers)
	}

	sas, _ := kube.CoreV1().ServiceAccounts(ns).List(ctx, metav1.ListOptions{})
	var names []string
	for _, sa := range sas.Items {
		names = append(names, sa.Name)
	}
	for _, c := range []string{"client", "driver", "executor"} {
		if !slices.Contains(names, "emr-containers-sa-spark-"+c+"-123456789012-"+b36) {
			t.Errorf("no %s service account among %v", c, names)
		}
	}
	for _, rb := range []string{"emr-containers-rb-spark-client-123456789012-" + b36, "emr-containers-rb-spark-driver-123456789012-" + b36} {
		if _, err := kube.RbacV1().RoleBindings(ns).Get(ctx, rb, metav1.GetOptions{}); err != nil {
			t.Errorf("RoleBinding %s: %v", rb, err)
		}
	}
	// A second run of the same role reuses the service accounts.
	id2 := startPi(t, s.Client, vc, nil)
	waitState(t, s.Client, vc, id2, types.JobRunStateSubmitted)
	sas2, _ := kube.CoreV1().ServiceAccounts(ns).List(ctx, metav1.ListOptions{})
	if len(sas2.Items) != len(sas.Items) {
		t.Errorf("%d service accounts after a second run, %d before", len(sas2.Items), len(sas.Items))
	}
	// The Job controller made the job runner pod from the template, with the EMR labels.
	runner := jobRunnerPod(t, ns, id)
	wantLabels(t, "job runner pod", runner.Labels, runLabels)
}

func wantLabels(t *testing.T, what string, got, want map[string]string) {
	t.Helper()
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s label %s=%q, want %q", what, k, got[k], v)
		}
	}
}
