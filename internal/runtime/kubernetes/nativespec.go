package kubernetes

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strconv"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"sigs.k8s.io/yaml"

	"github.com/sparkplane/sparkplane/internal/sparksubmit"
)

// Native submission (see native.go) builds, without a JVM, the objects
// Spark 3.5's Kubernetes submission client (spark-submit --deploy-mode
// cluster) builds from the same spark-defaults.conf, command line and pod
// templates the job runner would be given: the driver pod, the ConfigMap
// of its resolved Spark properties (spark.properties), the ConfigMap of the
// executor pod template, and the driver's headless Service. Names Spark
// draws at random (the application id, the resource name prefix, the
// ConfigMap's id, the local folder) are derived from the run's id and
// attempt instead, so that building again after a restart gives the same
// objects.

// Names and paths of Spark's Kubernetes submission (its Constants).
const (
	sparkConfDirInternal = "/opt/spark/conf"
	sparkConfFile        = "spark.properties"
	sparkConfVolume      = "spark-conf-volume-driver"
	execTemplateVolume   = "pod-template-volume"
	execTemplateKey      = "podspec-configmap-key"
	execTemplateFile     = "pod-spec-template.yml"
	execTemplateDir      = "/opt/spark/pod-template"
	execTemplateMapInfix = "-driver-podspec-conf-map"
	driverServiceSuffix  = "-driver-svc"
	localDirVolumePrefix = "spark-local-dir-"
	driverPortName       = "driver-rpc-port"
	blockManagerPortName = "blockmanager"
	uiPortName           = "spark-ui"
	defaultDriverPort    = 7078
	defaultBlockManager  = 7079
	defaultUIPort        = 4040
	pythonRunnerClass    = "org.apache.spark.deploy.PythonRunner"
	noResource           = "spark-internal"
	dnsLabelMax          = 63
	dnsSubdomainMax      = 253
	memoryOverheadMinMiB = 384
)

// Spark's labels on its driver pod.
const (
	labelSparkVersion = "spark-version"
	labelSparkAppName = "spark-app-name"
	labelSparkRole    = "spark-role"
)

// nativeSpec is what native submission creates for a run's attempt.
type nativeSpec struct {
	appID       string
	props       map[string]string // spark.properties
	pod         *corev1.Pod
	confMap     *corev1.ConfigMap
	templateMap *corev1.ConfigMap
	service     *corev1.Service
}

// nativeApp is the application as spark-submit's KubernetesClientApplication
// receives it.
type nativeApp struct {
	mainClass string
	resource  string // the primary resource, or spark-internal
	args      []string
	python    bool
}

// nativeApp derives the main class, primary resource and arguments the
// job runner's spark-submit would hand to Spark's submission client.
func (p *plan) nativeApp() (nativeApp, error) {
	class, _ := p.sub.Params.Option("--class")
	if p.sub.SQL {
		a := nativeApp{mainClass: sparksubmit.SQLDriverClass, resource: noResource}
		for _, o := range p.sub.Params.Options {
			if o.Name == "--hivevar" || o.Name == "--hiveconf" || o.Name == "--database" || o.Name == "--define" {
				a.args = append(a.args, o.Name, o.Value)
			}
		}
		if p.sub.EntryPoint != "" {
			// spark-sql reads -f through Hadoop, which knows no local://: a
			// file in the image is given as its path.
			file := entryPointIn(p.image, p.sub.EntryPoint)
			if path, ok := strings.CutPrefix(file, "local://"); ok {
				file = path
			}
			a.args = append(a.args, "-f", file)
		}
		return a, nil
	}
	entry := entryPointIn(p.image, p.sub.EntryPoint)
	switch {
	case strings.HasSuffix(entry, ".py"):
		return nativeApp{mainClass: pythonRunnerClass, resource: entry, args: p.sub.Arguments, python: true}, nil
	case strings.HasSuffix(strings.ToLower(entry), ".r"):
		return nativeApp{}, fmt.Errorf("native submission does not run R applications (%s): use submissionMode job-runner", p.sub.EntryPoint)
	case class == "":
		return nativeApp{}, fmt.Errorf("native submission needs the main class of %s: give --class in sparkSubmitParameters", p.sub.EntryPoint)
	}
	return nativeApp{mainClass: class, resource: entry, args: p.sub.Arguments}, nil
}

// submitConf is the SparkConf spark-submit builds in the job runner: the
// spark.* properties of spark-defaults.conf, then of --conf, then those of
// the shorthand options, then what spark-submit itself sets.
func (p *plan) submitConf(app nativeApp) map[string]string {
	conf := map[string]string{}
	for _, d := range p.sub.Defaults {
		if strings.HasPrefix(d.Key, "spark.") {
			conf[d.Key] = d.Value
		}
	}
	for _, c := range p.sub.Params.Conf {
		if strings.HasPrefix(c.Key, "spark.") && !strings.HasSuffix(c.Key, ".podTemplateFile") {
			conf[c.Key] = c.Value
		}
	}
	var opts []sparksubmit.Option
	for _, o := range p.sub.Params.Options {
		if o.Name != "--master" && o.Name != "--deploy-mode" {
			opts = append(opts, o)
		}
	}
	for _, prop := range (sparksubmit.Params{Options: opts}).Properties() {
		conf[prop.Key] = prop.Value
	}
	if _, ok := conf["spark.app.name"]; !ok {
		switch {
		case app.python:
			conf["spark.app.name"] = app.resource[strings.LastIndex(app.resource, "/")+1:]
		default:
			conf["spark.app.name"] = app.mainClass
		}
	}
	if !app.python && app.resource != noResource {
		conf["spark.jars"] = joinNonEmpty(conf["spark.jars"], app.resource)
	}
	if _, ok := conf["spark.submit.pyFiles"]; !ok {
		conf["spark.submit.pyFiles"] = ""
	}
	return conf
}

func joinNonEmpty(list, item string) string {
	if strings.TrimSpace(list) == "" {
		return item
	}
	return list + "," + item
}

// nativeID is a hex string of n characters derived from the attempt and
// what it is for: what Spark draws at random, made repeatable.
func (p *plan) nativeID(what string, n int) string {
	sum := sha256.Sum256([]byte(what + "/" + p.ns + "/" + p.jobID + "/" + strconv.Itoa(p.attempt)))
	return hex.EncodeToString(sum[:])[:n]
}

// uniqueID is Spark's KubernetesUtils.uniqueID: 3 random bytes then the
// time in hex (its low 40 bits); here the bytes come from nativeID.
func (p *plan) uniqueID(what string, at time.Time) string {
	return p.nativeID(what, 6) + strconv.FormatInt(at.UnixMilli()&0xFFFFFFFFFF, 16)
}

// unsupportedNative are the Spark properties whose feature native
// submission does not build: a run that sets one is refused, with the way
// out.
var unsupportedNative = []string{
	"spark.kubernetes.driver.volumes.",
	"spark.kubernetes.kerberos.",
	"spark.kerberos.",
	"spark.kubernetes.hadoop.configMapName",
	"spark.kubernetes.authenticate.submission.",
	"spark.kubernetes.authenticate.driver.caCertFile",
	"spark.kubernetes.authenticate.driver.clientKeyFile",
	"spark.kubernetes.authenticate.driver.clientCertFile",
	"spark.kubernetes.authenticate.driver.oauthToken",
	"spark.kubernetes.driver.pod.featureSteps",
	"spark.kubernetes.file.upload.path",
}

// checkNative refuses what native submission cannot build as Spark would.
func checkNative(conf map[string]string) error {
	for k := range conf {
		for _, u := range unsupportedNative {
			if strings.HasPrefix(k, u) {
				return fmt.Errorf("native submission does not support %s: use submissionMode job-runner", k)
			}
		}
	}
	for _, k := range []string{"spark.driver.host", "spark.driver.bindAddress"} {
		if _, ok := conf[k]; ok {
			return fmt.Errorf("%s is not supported in Kubernetes mode: the driver's address is its Service's", k)
		}
	}
	for _, k := range []string{"spark.jars", "spark.files", "spark.archives", "spark.submit.pyFiles"} {
		for item := range strings.SplitSeq(conf[k], ",") {
			if item = strings.TrimSpace(item); item != "" && isLocalUpload(item) {
				return fmt.Errorf("%s lists %s, a file of the submitting machine that Spark would upload: native submission uploads nothing; give a local:// (in the image), s3:// or https:// URI, or use submissionMode job-runner", k, item)
			}
		}
	}
	return nil
}

// isLocalUpload is Spark's isLocalAndResolvable: a file:// URI or a path
// without a scheme, which spark-submit uploads.
func isLocalUpload(uri string) bool {
	if uri == noResource {
		return false
	}
	scheme, _, ok := strings.Cut(uri, ":")
	return !ok || scheme == "file" || strings.ContainsAny(scheme, "/.")
}

// buildNative builds the objects of the run's attempt. sparkVersion is the
// image's Spark (the spark-version label); user is SPARK_USER; named is the
// time part of generated names; now stamps spark.properties.
func (p *plan) buildNative(sparkVersion, user string, named, now time.Time) (*nativeSpec, error) {
	app, err := p.nativeApp()
	if err != nil {
		return nil, err
	}
	conf := p.submitConf(app)
	if err := checkNative(conf); err != nil {
		return nil, err
	}
	if isLocalUpload(app.resource) {
		return nil, fmt.Errorf("entry point %s is a file of the submitting machine that Spark would upload: give a local:// (in the image) or s3:// URI, or use submissionMode job-runner", app.resource)
	}
	s := &nativeSpec{appID: "spark-" + p.nativeID("app-id", 32)}
	appName := conf["spark.app.name"]
	prefix := resourceNamePrefix(appName, p.uniqueID("prefix", named))

	// The driver's labels: its custom ones, then Spark's.
	labels := prefixed(conf, "spark.kubernetes.driver.label.")
	for k, v := range map[string]string{labelSparkVersion: sparkVersion, labelSparkAppID: s.appID,
		labelSparkAppName: appNameLabel(appName), labelSparkRole: "driver"} {
		if _, ok := labels[k]; ok {
			return nil, fmt.Errorf("label %s of spark.kubernetes.driver.label.%s is reserved for Spark", k, k)
		}
		labels[k] = v
	}

	serviceName := prefix + driverServiceSuffix
	if len(serviceName) > dnsLabelMax {
		serviceName = "spark-" + p.uniqueID("service", named) + driverServiceSuffix
	}
	driverPort := intProp(conf, "spark.driver.port", defaultDriverPort)
	bmPort := intProp(conf, "spark.driver.blockManager.port", intProp(conf, "spark.blockManager.port", defaultBlockManager))
	svcBMPort := intProp(conf, "spark.driver.blockManager.port", defaultBlockManager)
	uiPort := intProp(conf, "spark.ui.port", defaultUIPort)

	// The resolved properties: the submitted ones and those the feature
	// steps add.
	props := map[string]string{}
	for k, v := range conf {
		props[k] = v
	}
	overheadFactor := 0.1
	if app.python {
		overheadFactor = 0.4
	}
	if v, ok := conf["spark.kubernetes.memoryOverheadFactor"]; ok {
		f, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
		if err != nil || f < 0 {
			return nil, fmt.Errorf("spark.kubernetes.memoryOverheadFactor=%q is not a non-negative number", v)
		}
		overheadFactor = f
	}
	props["spark.app.submitTime"] = strconv.FormatInt(now.UnixMilli(), 10)
	props["spark.kubernetes.driver.pod.name"] = p.driverPod
	props["spark.app.id"] = s.appID
	props["spark.kubernetes.submitInDriver"] = "true"
	props["spark.kubernetes.memoryOverheadFactor"] = javaDouble(overheadFactor)
	props["spark.driver.host"] = serviceName + "." + p.ns + ".svc"
	props["spark.driver.port"] = strconv.Itoa(driverPort)
	props["spark.driver.blockManager.port"] = strconv.Itoa(svcBMPort)
	props["spark.kubernetes.resource.type"] = map[bool]string{true: "python", false: "java"}[app.python]
	props["spark.kubernetes.executor.podTemplateFile"] = execTemplateDir + "/" + execTemplateFile
	s.props = props

	// The pod, from the driver pod template.
	pod := p.driver.DeepCopy()
	pod.TypeMeta = typeMeta("v1", "Pod")
	var c corev1.Container
	var rest []corev1.Container
	picked := false
	for _, ct := range pod.Spec.Containers {
		if ct.Name == driverContainer && !picked {
			c, picked = ct, true
			continue
		}
		rest = append(rest, ct)
	}
	if !picked && len(rest) > 0 {
		c, rest = rest[0], rest[1:]
	}
	pod.Spec.Containers = rest

	// BasicDriverFeatureStep.
	if c.Name == "" {
		c.Name = driverContainer
	}
	c.Image = conf["spark.kubernetes.driver.container.image"]
	if c.Image == "" {
		c.Image = conf["spark.kubernetes.container.image"]
	}
	c.ImagePullPolicy = corev1.PullPolicy(stringProp(conf, "spark.kubernetes.container.image.pullPolicy", "IfNotPresent"))
	c.Ports = append(c.Ports,
		corev1.ContainerPort{Name: driverPortName, ContainerPort: int32(driverPort), Protocol: corev1.ProtocolTCP},
		corev1.ContainerPort{Name: blockManagerPortName, ContainerPort: int32(bmPort), Protocol: corev1.ProtocolTCP},
		corev1.ContainerPort{Name: uiPortName, ContainerPort: int32(uiPort), Protocol: corev1.ProtocolTCP})
	c.Env = append(c.Env, corev1.EnvVar{Name: "SPARK_USER", Value: user}, corev1.EnvVar{Name: "SPARK_APPLICATION_ID", Value: s.appID})
	driverEnv := prefixed(conf, "spark.kubernetes.driverEnv.")
	for _, k := range sortedPairs(driverEnv) {
		c.Env = append(c.Env, corev1.EnvVar{Name: k, Value: driverEnv[k]})
	}
	c.Env = append(c.Env, corev1.EnvVar{Name: "SPARK_DRIVER_BIND_ADDRESS", ValueFrom: &corev1.EnvVarSource{
		FieldRef: &corev1.ObjectFieldSelector{APIVersion: "v1", FieldPath: "status.podIP"}}})
	if err := driverResources(&c, conf, overheadFactor); err != nil {
		return nil, err
	}
	if pod.Labels == nil {
		pod.Labels = map[string]string{}
	}
	pod.Name, pod.Namespace = p.driverPod, p.ns
	for k, v := range labels {
		pod.Labels[k] = v
	}
	for k, v := range prefixed(conf, "spark.kubernetes.driver.annotation.") {
		if pod.Annotations == nil {
			pod.Annotations = map[string]string{}
		}
		pod.Annotations[k] = strings.ReplaceAll(strings.ReplaceAll(v, "{{APP_ID}}", s.appID), "{{EXECUTOR_ID}}", "")
	}
	pod.Spec.RestartPolicy = corev1.RestartPolicyNever
	for _, sel := range []map[string]string{prefixed(conf, "spark.kubernetes.node.selector."), prefixed(conf, "spark.kubernetes.driver.node.selector.")} {
		for k, v := range sel {
			if pod.Spec.NodeSelector == nil {
				pod.Spec.NodeSelector = map[string]string{}
			}
			pod.Spec.NodeSelector[k] = v
		}
	}
	for name := range strings.SplitSeq(conf["spark.kubernetes.container.image.pullSecrets"], ",") {
		if name = strings.TrimSpace(name); name != "" {
			pod.Spec.ImagePullSecrets = append(pod.Spec.ImagePullSecrets, corev1.LocalObjectReference{Name: name})
		}
	}
	if n := stringProp(conf, "spark.kubernetes.driver.scheduler.name", conf["spark.kubernetes.scheduler.name"]); n != "" {
		pod.Spec.SchedulerName = n
	}

	// DriverKubernetesCredentialsFeatureStep: the service account.
	if sa := conf["spark.kubernetes.authenticate.driver.serviceAccountName"]; sa != "" {
		pod.Spec.DeprecatedServiceAccount, pod.Spec.ServiceAccountName = sa, sa
	}

	// MountSecretsFeatureStep and EnvSecretsFeatureStep.
	secrets := prefixed(conf, "spark.kubernetes.driver.secrets.")
	for _, name := range sortedPairs(secrets) {
		pod.Spec.Volumes = append(pod.Spec.Volumes, corev1.Volume{Name: name + "-volume",
			VolumeSource: corev1.VolumeSource{Secret: &corev1.SecretVolumeSource{SecretName: name}}})
		c.VolumeMounts = append(c.VolumeMounts, corev1.VolumeMount{Name: name + "-volume", MountPath: secrets[name]})
	}
	refs := prefixed(conf, "spark.kubernetes.driver.secretKeyRef.")
	for _, env := range sortedPairs(refs) {
		name, key, ok := strings.Cut(refs[env], ":")
		if !ok || strings.Contains(key, ":") {
			return nil, fmt.Errorf("spark.kubernetes.driver.secretKeyRef.%s=%q: want name:key", env, refs[env])
		}
		c.Env = append(c.Env, corev1.EnvVar{Name: env, ValueFrom: &corev1.EnvVarSource{SecretKeyRef: &corev1.SecretKeySelector{
			LocalObjectReference: corev1.LocalObjectReference{Name: name}, Key: key}}})
	}

	// DriverCommandFeatureStep.
	c.Args = append([]string{"driver", "--properties-file", sparkConfDirInternal + "/" + sparkConfFile,
		"--class", app.mainClass, app.resource}, app.args...)
	if app.python {
		py, hasPy := conf["spark.pyspark.python"]
		if hasPy {
			c.Env = append(c.Env, corev1.EnvVar{Name: "PYSPARK_PYTHON", Value: py})
		}
		if dpy, ok := conf["spark.pyspark.driver.python"]; ok {
			c.Env = append(c.Env, corev1.EnvVar{Name: "PYSPARK_DRIVER_PYTHON", Value: dpy})
		} else if hasPy {
			c.Env = append(c.Env, corev1.EnvVar{Name: "PYSPARK_DRIVER_PYTHON", Value: py})
		}
	}

	// PodTemplateConfigMapStep: the executors' pod template.
	execTemplate, err := yaml.Marshal(p.executor)
	if err != nil {
		return nil, err
	}
	templateMapName := prefix + execTemplateMapInfix
	pod.Spec.Volumes = append(pod.Spec.Volumes, corev1.Volume{Name: execTemplateVolume, VolumeSource: corev1.VolumeSource{
		ConfigMap: &corev1.ConfigMapVolumeSource{LocalObjectReference: corev1.LocalObjectReference{Name: templateMapName},
			Items: []corev1.KeyToPath{{Key: execTemplateKey, Path: execTemplateFile}}}}})
	c.VolumeMounts = append(c.VolumeMounts, corev1.VolumeMount{Name: execTemplateVolume, MountPath: execTemplateDir})
	yes := true
	s.templateMap = &corev1.ConfigMap{TypeMeta: typeMeta("v1", "ConfigMap"),
		ObjectMeta: metav1.ObjectMeta{Name: templateMapName, Namespace: p.ns},
		Immutable:  &yes, Data: map[string]string{execTemplateKey: string(execTemplate)}}

	// LocalDirsFeatureStep.
	var localDirs []string
	for _, m := range c.VolumeMounts {
		if strings.HasPrefix(m.Name, localDirVolumePrefix) {
			localDirs = append(localDirs, m.MountPath)
		}
	}
	if len(localDirs) == 0 {
		dirs := stringProp(conf, "spark.local.dir", "/var/data/spark-"+uuidOf(p.nativeID("local-dir", 32)))
		var medium corev1.StorageMedium
		if conf["spark.kubernetes.local.dirs.tmpfs"] == "true" {
			medium = corev1.StorageMediumMemory
		}
		for i, d := range strings.Split(dirs, ",") {
			name := fmt.Sprintf("%s%d", localDirVolumePrefix, i+1)
			pod.Spec.Volumes = append(pod.Spec.Volumes, corev1.Volume{Name: name, VolumeSource: corev1.VolumeSource{
				EmptyDir: &corev1.EmptyDirVolumeSource{Medium: medium}}})
			c.VolumeMounts = append(c.VolumeMounts, corev1.VolumeMount{Name: name, MountPath: d})
			localDirs = append(localDirs, d)
		}
	}
	c.Env = append(c.Env, corev1.EnvVar{Name: "SPARK_LOCAL_DIRS", Value: strings.Join(localDirs, ",")})

	// The client: spark.properties, mounted at /opt/spark/conf.
	confMapName := "spark-drv-" + p.uniqueID("conf-map", named)
	if max := dnsSubdomainMax - len("-conf-map"); len(confMapName) > max {
		confMapName = confMapName[:max]
	}
	confMapName += "-conf-map"
	c.Env = append(c.Env, corev1.EnvVar{Name: "SPARK_CONF_DIR", Value: sparkConfDirInternal})
	c.VolumeMounts = append(c.VolumeMounts, corev1.VolumeMount{Name: sparkConfVolume, MountPath: sparkConfDirInternal})
	mode := int32(0o644)
	pod.Spec.Volumes = append(pod.Spec.Volumes, corev1.Volume{Name: sparkConfVolume, VolumeSource: corev1.VolumeSource{
		ConfigMap: &corev1.ConfigMapVolumeSource{LocalObjectReference: corev1.LocalObjectReference{Name: confMapName},
			Items: []corev1.KeyToPath{{Key: sparkConfFile, Path: sparkConfFile, Mode: &mode}}}}})
	pod.Spec.Containers = append(pod.Spec.Containers, c)
	s.pod = pod
	s.confMap = &corev1.ConfigMap{TypeMeta: typeMeta("v1", "ConfigMap"),
		ObjectMeta: metav1.ObjectMeta{Name: confMapName, Namespace: p.ns},
		Immutable:  &yes,
		Data: map[string]string{sparkConfFile: javaProperties(props, "Java properties built from Kubernetes config map with name: "+confMapName, now),
			"spark.kubernetes.namespace": p.ns}}

	// DriverServiceFeatureStep.
	svcLabels := map[string]string{labelSparkAppID: s.appID}
	for k, v := range prefixed(conf, "spark.kubernetes.driver.service.label.") {
		svcLabels[k] = v
	}
	var svcAnnotations map[string]string
	if a := prefixed(conf, "spark.kubernetes.driver.service.annotation."); len(a) > 0 {
		svcAnnotations = a
	}
	policy := corev1.IPFamilyPolicy(stringProp(conf, "spark.kubernetes.driver.service.ipFamilyPolicy", "SingleStack"))
	var families []corev1.IPFamily
	for f := range strings.SplitSeq(stringProp(conf, "spark.kubernetes.driver.service.ipFamilies", "IPv4"), ",") {
		families = append(families, corev1.IPFamily(f))
	}
	s.service = &corev1.Service{TypeMeta: typeMeta("v1", "Service"),
		ObjectMeta: metav1.ObjectMeta{Name: serviceName, Namespace: p.ns, Labels: svcLabels, Annotations: svcAnnotations},
		Spec: corev1.ServiceSpec{ClusterIP: corev1.ClusterIPNone, IPFamilyPolicy: &policy, IPFamilies: families, Selector: labels,
			Ports: []corev1.ServicePort{
				{Name: driverPortName, Port: int32(driverPort), TargetPort: intstr.FromInt32(int32(driverPort))},
				{Name: blockManagerPortName, Port: int32(svcBMPort), TargetPort: intstr.FromInt32(int32(svcBMPort))},
				{Name: uiPortName, Port: int32(uiPort), TargetPort: intstr.FromInt32(int32(uiPort))},
			}}}
	return s, nil
}
