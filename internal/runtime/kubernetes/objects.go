package kubernetes

import (
	"fmt"
	"maps"
	"strings"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/yaml"

	"github.com/sparkplane/sparkplane/internal/emr"
	"github.com/sparkplane/sparkplane/internal/sparksubmit"
)

// apiServerInCluster is how pods reach the Kubernetes API (spark.master).
const apiServerInCluster = "k8s://https://kubernetes.default.svc:443"

// plan is everything Submit creates for one run, derived without I/O.
type plan struct {
	ns        string
	vcID      string
	jobID     string // the run id: job.id label
	name      string // the attempt's Job, and its ConfigMaps' stem
	attempt   int
	driverPod string
	who       identity
	roleARN   string    // the run's execution role, as the run names it
	grant     RoleGrant // what the role's runs get (its secret)
	// defaultGrant: the role maps no secret and gets DefaultSecretName.
	defaultGrant bool
	image        Image
	sub          *sparksubmit.Submission
	driver       *corev1.Pod // pod templates
	executor     *corev1.Pod
	submitter    submitterConf
	runner       corev1.ResourceRequirements // the job runner's (jobrunner.go)
}

// newPlan derives the objects of a run under the runtime's options, with
// pod templates from the server's files only. Its errors are the user's (a
// VALIDATION_ERROR): a bad role, release, parameter or pod template.
func newPlan(vc *emr.VirtualCluster, run *emr.JobRun, o *Options) (*plan, error) {
	return newPlanWith(vc, run, o, localTemplates(o.PodTemplateDirs))
}

// newPlanWith is newPlan with the pod templates users name read by src
// (which may read S3: see templateSource). Errors of src are returned
// wrapped (see planError).
func newPlanWith(vc *emr.VirtualCluster, run *emr.JobRun, o *Options, src templateSource) (*plan, error) {
	who, err := parseRole(run.ExecutionRoleARN)
	if err != nil {
		return nil, err
	}
	images := o.Images
	if len(images) == 0 {
		images = DefaultImages
	}
	im, err := imageFor(images, run.ReleaseLabel)
	if err != nil {
		return nil, err
	}
	p := &plan{ns: vc.ContainerProvider.Namespace(), vcID: run.VirtualClusterID, jobID: run.ID,
		name: JobName(run), attempt: run.Attempt(), driverPod: DriverPodName(run), who: who,
		roleARN: run.ExecutionRoleARN, grant: o.Roles[run.ExecutionRoleARN], image: im}
	if p.grant.KubernetesSecret == "" && o.DefaultKeys != nil {
		p.grant.KubernetesSecret, p.defaultGrant = DefaultSecretName, true
	}
	p.sub, err = sparksubmit.Build(run, p.sparkDefaults(sparksubmit.WithS3A(o.S3A, o.SparkDefaults)))
	if err != nil {
		return nil, err
	}
	policy := templatePolicy{privileged: o.AllowPrivilegedPodTemplates, foreignSecrets: map[string]bool{}}
	if o.DefaultKeys != nil && !p.defaultGrant {
		policy.foreignSecrets[DefaultSecretName] = true // roles with a secret of their own get only theirs
	}
	for arn, g := range o.Roles {
		if g.KubernetesSecret != "" && g.KubernetesSecret != p.grant.KubernetesSecret && arn != run.ExecutionRoleARN {
			policy.foreignSecrets[g.KubernetesSecret] = true
		}
	}
	eff := p.sub.Effective()
	for _, t := range []struct {
		role, container, component string
		into                       **corev1.Pod
	}{{"driver", driverContainer, ComponentDriver, &p.driver}, {"executor", executorContainer, ComponentExecutor, &p.executor}} {
		user, err := loadUserTemplate(userTemplateFile(eff, t.role), src)
		if err != nil {
			return nil, err
		}
		tmpl := podTemplate(user, t.container, podLabels(p.vcID, p.jobID, p.attempt, t.component), policy.privileged)
		if err := policy.check(user, tmpl); err != nil {
			return nil, fmt.Errorf("%s %w", t.role, err)
		}
		p.withSecretEnv(tmpl, t.container)
		*t.into = tmpl
	}
	p.submitter = parseSubmitterConf(run.ConfigurationOverrides.Classification("emr-job-submitter"))
	p.runner = jobRunnerResources(o.JobRunner)
	return p, nil
}

// userTemplateFile is the pod template a user asked for, if any (the
// runtime points Spark at its merged copy instead).
func userTemplateFile(eff map[string]string, role string) string {
	v := eff["spark.kubernetes."+role+".podTemplateFile"]
	if strings.HasPrefix(v, podTemplateDir+"/") {
		return "" // ours
	}
	return v
}

// sparkDefaults are the runtime's properties, under the spark-defaults
// classification and the run's parameters: where Spark runs, as whom, with
// which image, labels and pod templates.
func (p *plan) sparkDefaults(extra map[string]string) map[string]string {
	d := map[string]string{
		"spark.master":                                              apiServerInCluster,
		"spark.submit.deployMode":                                   "cluster",
		"spark.kubernetes.namespace":                                p.ns,
		"spark.kubernetes.container.image":                          p.image.Image,
		"spark.kubernetes.driver.pod.name":                          p.driverPod,
		"spark.kubernetes.authenticate.driver.serviceAccountName":   p.who.serviceAccount("driver"),
		"spark.kubernetes.authenticate.executor.serviceAccountName": p.who.serviceAccount("executor"),
		"spark.kubernetes.driver.podTemplateFile":                   podTemplateDir + "/driver",
		"spark.kubernetes.executor.podTemplateFile":                 podTemplateDir + "/executor",
		"spark.kubernetes.driver.podTemplateContainerName":          driverContainer,
		"spark.kubernetes.executor.podTemplateContainerName":        executorContainer,
		"spark.dynamicAllocation.enabled":                           "false",
		"spark.driver.memory":                                       "1G",
		"spark.executor.memory":                                     "1G",
		"spark.driver.cores":                                        "1",
		"spark.executor.cores":                                      "1",
	}
	for role, comp := range map[string]string{"driver": ComponentDriver, "executor": ComponentExecutor} {
		for k, v := range podLabels(p.vcID, p.jobID, p.attempt, comp) {
			d["spark.kubernetes."+role+".label."+k] = v
		}
	}
	maps.Copy(d, prometheusDefaults) // Spark's metrics, for Prometheus: prometheus.go
	for k, v := range extra {
		d[k] = v
	}
	return d
}

// args is the job runner's spark-submit command line.
func (p *plan) args() []string {
	args := []string{strings.TrimSuffix(p.image.SparkHome, "/") + "/bin/spark-submit",
		"--properties-file", confDir + "/spark-defaults.conf"}
	for _, o := range p.sub.Params.Options {
		if o.Name == "--master" || o.Name == "--deploy-mode" {
			continue // the runtime decides where Spark runs
		}
		args = append(args, o.Name)
		if o.Value != "" {
			args = append(args, o.Value)
		}
	}
	for _, c := range p.sub.Params.Conf {
		if strings.HasSuffix(c.Key, ".podTemplateFile") {
			continue // merged into the runtime's templates
		}
		args = append(args, "--conf", c.Key+"="+c.Value)
	}
	if p.sub.SQL {
		args = append(args, "--class", sparksubmit.SQLDriverClass, "spark-internal")
		for _, o := range p.sub.Params.Options {
			if o.Name == "--hivevar" || o.Name == "--hiveconf" || o.Name == "--database" || o.Name == "--define" {
				args = append(args, o.Name, o.Value)
			}
		}
		if p.sub.EntryPoint != "" {
			args = append(args, "-f", entryPointIn(p.image, p.sub.EntryPoint))
		}
		return args
	}
	return append(append(args, entryPointIn(p.image, p.sub.EntryPoint)), p.sub.Arguments...)
}

func typeMeta(apiVersion, kind string) metav1.TypeMeta {
	return metav1.TypeMeta{APIVersion: apiVersion, Kind: kind}
}

// ownedBy makes the Job the controlling owner, so deleting it removes the object.
func ownedBy(job *batchv1.Job) []metav1.OwnerReference {
	yes := true
	return []metav1.OwnerReference{{APIVersion: "batch/v1", Kind: "Job", Name: job.Name, UID: job.UID,
		Controller: &yes, BlockOwnerDeletion: &yes}}
}

func (p *plan) meta(name string, extra map[string]string) metav1.ObjectMeta {
	l := runLabels(p.vcID, p.jobID, p.attempt)
	for k, v := range extra {
		l[k] = v
	}
	return metav1.ObjectMeta{Name: name, Namespace: p.ns, Labels: l}
}

// sparkDefaultsConfigMap is <jobId>-spark-defaults.
func (p *plan) sparkDefaultsConfigMap(owner *batchv1.Job) *corev1.ConfigMap {
	cm := &corev1.ConfigMap{ObjectMeta: p.meta(sparkDefaultsName(p.name), map[string]string{LabelConfiguration: "spark-defaults"}),
		Data: map[string]string{"spark-defaults.conf": p.sub.DefaultsFile()}}
	cm.OwnerReferences = ownedBy(owner)
	return cm
}

// podTemplateConfigMap is podtemplate-<jobId>.
func (p *plan) podTemplateConfigMap(owner *batchv1.Job) (*corev1.ConfigMap, error) {
	driver, err := yaml.Marshal(p.driver)
	if err != nil {
		return nil, err
	}
	executor, err := yaml.Marshal(p.executor)
	if err != nil {
		return nil, err
	}
	cm := &corev1.ConfigMap{ObjectMeta: p.meta(podTemplateName(p.name), map[string]string{LabelConfiguration: "pod-template"}),
		Data: map[string]string{"driver": string(driver), "executor": string(executor)}}
	cm.OwnerReferences = ownedBy(owner)
	return cm, nil
}

// job is the job runner: one pod, never retried, running spark-submit.
func (p *plan) job() *batchv1.Job {
	zero := int32(0)
	labels := podLabels(p.vcID, p.jobID, p.attempt, ComponentSubmitter)
	for k, v := range p.submitter.labels {
		labels[k] = v
	}
	job := &batchv1.Job{
		TypeMeta:   typeMeta("batch/v1", "Job"),
		ObjectMeta: p.meta(p.name, nil),
		Spec: batchv1.JobSpec{
			BackoffLimit: &zero,
			Template: corev1.PodTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{Labels: labels, Annotations: p.submitter.annotations},
				Spec: corev1.PodSpec{
					ServiceAccountName: p.who.serviceAccount("client"),
					RestartPolicy:      corev1.RestartPolicyNever,
					NodeSelector:       p.submitter.nodeSelector,
					Containers: []corev1.Container{{
						Name:    jobRunnerContainer,
						Image:   p.image.Image,
						Command: p.args(),
						EnvFrom: p.secretEnv(),
						Env: []corev1.EnvVar{
							{Name: "SPARK_CONF_DIR", Value: confDir},
							{Name: "JAVA_TOOL_OPTIONS", Value: "-Xmx820m"},
							{Name: "SPARK_CONTAINER_ID", ValueFrom: &corev1.EnvVarSource{FieldRef: &corev1.ObjectFieldSelector{FieldPath: "metadata.name"}}},
						},
						Resources: p.runner,
						VolumeMounts: []corev1.VolumeMount{
							{Name: "spark-defaults", MountPath: confDir, ReadOnly: true},
							{Name: "pod-templates", MountPath: podTemplateDir, ReadOnly: true},
						},
					}},
					Volumes: []corev1.Volume{
						{Name: "spark-defaults", VolumeSource: corev1.VolumeSource{ConfigMap: &corev1.ConfigMapVolumeSource{
							LocalObjectReference: corev1.LocalObjectReference{Name: sparkDefaultsName(p.name)}}}},
						{Name: "pod-templates", VolumeSource: corev1.VolumeSource{ConfigMap: &corev1.ConfigMapVolumeSource{
							LocalObjectReference: corev1.LocalObjectReference{Name: podTemplateName(p.name)}}}},
					},
				},
			},
		},
	}
	return job
}

// submitterConf is the emr-job-submitter classification: the job runner
// pod's node selector, labels and annotations.
type submitterConf struct {
	nodeSelector, labels, annotations map[string]string
}

func parseSubmitterConf(props map[string]string) submitterConf {
	var c submitterConf
	put := func(m *map[string]string, k, v string) {
		if *m == nil {
			*m = map[string]string{}
		}
		(*m)[k] = v
	}
	for k, v := range props {
		switch {
		case strings.HasPrefix(k, "jobsubmitter.node.selector."):
			put(&c.nodeSelector, strings.TrimPrefix(k, "jobsubmitter.node.selector."), v)
		case strings.HasPrefix(k, "jobsubmitter.label."):
			put(&c.labels, strings.TrimPrefix(k, "jobsubmitter.label."), v)
		case strings.HasPrefix(k, "jobsubmitter.annotation."):
			put(&c.annotations, strings.TrimPrefix(k, "jobsubmitter.annotation."), v)
		}
	}
	return c
}
