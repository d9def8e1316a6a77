// Package config is the configuration of a sparkplane server: defaults, an
// optional YAML (or JSON) file, then command-line flags, and Validate.
package config

import (
	"fmt"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"

	"sigs.k8s.io/yaml"
)

// Config is everything a server needs to start.
type Config struct {
	// Addr is the host:port the API listens on.
	Addr string `json:"addr"`
	// DataDir holds the embedded store (sparkplane.db) and each run's
	// folder (runs/); the server keeps it 0700.
	DataDir string `json:"dataDir"`
	// Store is where the state is kept: empty for the embedded SQLite
	// store in DataDir, or a PostgreSQL URL (postgres://user:password@host:port/db?…),
	// which several servers may share.
	Store string `json:"store"`
	// Region, AccountID and Partition place the ARNs the server hands out.
	Region    string `json:"region"`
	AccountID string `json:"accountId"`
	Partition string `json:"partition"`
	// Pricing is a pricing file (see package cost and the README) that
	// cost reports price usage with; empty: the built-in us-east-1 defaults.
	Pricing string `json:"pricing"`
	// Local configures the embedded runtime, registered as cluster "local".
	Local LocalRuntime `json:"local"`
	// Clusters are the Kubernetes clusters virtual clusters may name in
	// containerProvider.id.
	Clusters []KubernetesCluster `json:"clusters"`
	// DevCluster configures the embedded Kubernetes cluster (`sparkplane
	// dev-cluster`), registered as cluster "dev" while its kubeconfig exists.
	DevCluster DevCluster `json:"devCluster"`
	// S3 is the object storage runs read code and data from.
	S3 S3 `json:"s3"`
	// CloudWatch is where runs' cloudWatchMonitoringConfiguration sends
	// their logs.
	CloudWatch CloudWatch `json:"cloudWatch"`
	// Security is authentication, authorization, execution roles and
	// request bounds.
	Security Security `json:"security"`
	// SparkUI is the Spark UI of ended runs (see sparkui.go).
	SparkUI SparkUI `json:"sparkUI"`
	// Metrics is the Prometheus endpoint, /metrics.
	Metrics Metrics `json:"metrics"`
	// Events are the webhooks that job-run state changes are delivered to.
	Events Events `json:"events"`
	// Retention is how long finished runs and usage are kept.
	Retention Retention `json:"retention"`
	// ACK reconciles the ACK-compatible custom resources (see ack.go).
	ACK ACK `json:"ack"`
	// GoGC is the server's garbage-collection target, as GOGC: the heap
	// may grow by this percentage of what the last collection kept before
	// the next one. Unset: GOGC when set, else Go's 100. Lower trades CPU
	// for memory (BENCHMARKS.md: at 50, 13 MB less with 1,000 runs
	// tracked, 12 % fewer StartJobRun per second).
	GoGC *int `json:"goGC"`
	// Env is the environment the server started with (Default reads it);
	// never read from or written to a file.
	Env Env `json:"-"`
}

// KubernetesCluster registers a Kubernetes cluster: how to reach it and
// which images run which release labels.
type KubernetesCluster struct {
	// ID is what containerProvider.id names (an EKS cluster name, say).
	ID string `json:"id"`
	// Kubeconfig and Context select credentials from a kubeconfig file
	// (Context empty: its current context); InCluster uses the pod's own
	// service account instead.
	Kubeconfig string `json:"kubeconfig"`
	Context    string `json:"context"`
	InCluster  bool   `json:"inCluster"`
	// Images override the release label → image map (default: Apache Spark images).
	Images []Image `json:"images"`
	// SparkDefaults are Spark properties every run on this cluster starts from.
	SparkDefaults map[string]string `json:"sparkDefaults"`
	// PodTemplateDirs are the server's folders whose files runs may name in
	// spark.kubernetes.{driver,executor}.podTemplateFile (none: no file).
	PodTemplateDirs []string `json:"podTemplateDirs"`
	// AllowPrivilegedPodTemplates lets pod templates ask for host
	// namespaces, hostPath, nodeName, host ports and privileged containers.
	AllowPrivilegedPodTemplates bool `json:"allowPrivilegedPodTemplates"`
	// JobRunner sets the job runner container's requests and limits
	// (admission.go); what it does not name stays EMR's.
	JobRunner JobRunnerResources `json:"jobRunner"`
	// Admission is what a run must fit before it is submitted (admission.go):
	// AdmissionNodes (default), AdmissionQuota or AdmissionOff.
	Admission string `json:"admission"`
	// SubmissionMode is how the cluster's runs that choose none (the
	// sparkplane classification's submissionMode) are submitted:
	// "job-runner" (default, as EMR: a spark-submit pod) or "native"
	// (sparkplane creates the driver pod itself).
	SubmissionMode string `json:"submissionMode"`
	// DefaultS3Credentials gives the runs of execution roles that map no
	// kubernetesSecret the keys of s3.credentialsFile (as the local runtime
	// does), through a secret sparkplane keeps in their namespace. The
	// embedded cluster's alone (WithDevCluster), which has no IRSA and whose
	// pods see the host anyway; never set from a file.
	DefaultS3Credentials bool `json:"-"`
}

// Image runs the release labels that start with ReleasePrefix.
type Image struct {
	ReleasePrefix string `json:"releasePrefix"`
	Image         string `json:"image"`
	SparkHome     string `json:"sparkHome"`
	// SparkVersion is the image's Spark version (default: read from an
	// Apache Spark image's tag); native submission labels drivers with it.
	SparkVersion string `json:"sparkVersion"`
}

// LocalRuntime configures the embedded runtime.
type LocalRuntime struct {
	// SparkHome is the Spark installation; empty finds it ($SPARK_HOME, then
	// the cache: see sparkdist.Find).
	SparkHome string `json:"sparkHome"`
	// SparkDefaults are Spark properties every local run starts from.
	SparkDefaults map[string]string `json:"sparkDefaults"`
	// InstanceType prices this host like that EC2 instance type (as listed
	// in the pricing) in cost reports; empty: the pricing's fallback
	// per-vCPU-hour and per-GiB-hour prices, flagged fallback-price.
	InstanceType string `json:"instanceType"`
	// JobUser is the Unix user that runs of execution roles without a
	// localUser (and of unmapped roles) run as when the server runs as root
	// (default DefaultJobUser; scripts/setup.sh creates it).
	JobUser string `json:"jobUser"`
	// WorkDir holds each run's working folder (its current directory and
	// HOME, owned by the user it runs as) when the server runs as root: it
	// must be outside the data dir, which is 0700 (default DefaultWorkDir).
	// When the server is not root, runs work in their folder under the data
	// dir and this is not used.
	WorkDir string `json:"workDir"`
}

// Defaults of LocalRuntime.
const (
	DefaultJobUser = "sparkplane-job"
	DefaultWorkDir = "/var/lib/sparkplane-jobs"
)

// JobUserName is Local.JobUser, or DefaultJobUser.
func (l LocalRuntime) JobUserName() string {
	if l.JobUser != "" {
		return l.JobUser
	}
	return DefaultJobUser
}

// WorkRoot is Local.WorkDir, or DefaultWorkDir.
func (l LocalRuntime) WorkRoot() string {
	if l.WorkDir != "" {
		return l.WorkDir
	}
	return DefaultWorkDir
}

// Default returns the configuration used when nothing else is given, with
// the process's environment (ReadEnv).
func Default() Config {
	env := ReadEnv()
	return Config{
		Env:       env,
		Addr:      "127.0.0.1:8080",
		DataDir:   env.DataDir(),
		Region:    "us-east-1",
		AccountID: "123456789012",
		Partition: "aws",
	}
}

// DefaultDataDir is $XDG_DATA_HOME/sparkplane, else ~/.local/share/sparkplane
// (Env.DataDir of the process's environment).
func DefaultDataDir() string { return ReadEnv().DataDir() }

// Load overlays the file at path on c. Unknown keys are an error, so a typo
// does not go unnoticed.
func (c *Config) Load(path string) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("read config: %w", err)
	}
	if err := yaml.UnmarshalStrict(b, c); err != nil {
		return fmt.Errorf("config %s: %w", path, err)
	}
	return nil
}

var patAccount = regexp.MustCompile(`^\d{12}$`)

// Validate reports the first field that is not usable.
func (c *Config) Validate() error {
	if _, _, err := net.SplitHostPort(c.Addr); err != nil {
		return fmt.Errorf("addr %q: want host:port: %w", c.Addr, err)
	}
	if c.DataDir == "" {
		return fmt.Errorf("dataDir: must not be empty")
	}
	if _, err := c.StoreKind(); err != nil {
		return err
	}
	if !patAccount.MatchString(c.AccountID) {
		return fmt.Errorf("accountId %q: want 12 digits", c.AccountID)
	}
	if c.Region == "" || c.Partition == "" {
		return fmt.Errorf("region and partition must not be empty")
	}
	if p := c.GoGC; p != nil && (*p < 10 || *p > 1000) {
		return fmt.Errorf("goGC %d: want a percentage from 10 to 1000 (Go's default is 100)", *p)
	}
	if c.Local.JobUser == "root" {
		return fmt.Errorf("local.jobUser: jobs must not run as root")
	}
	if c.Local.WorkDir != "" && !filepath.IsAbs(c.Local.WorkDir) {
		return fmt.Errorf("local.workDir %q: want an absolute path", c.Local.WorkDir)
	}
	if err := c.S3.validate(); err != nil {
		return err
	}
	if err := c.CloudWatch.validate(); err != nil {
		return err
	}
	if err := c.Security.validate(c.Addr); err != nil {
		return err
	}
	if err := c.SparkUI.validate(); err != nil {
		return err
	}
	if err := c.Metrics.validate(c.Security.InsecureNoAuth); err != nil {
		return err
	}
	if err := c.DevCluster.validate(); err != nil {
		return err
	}
	if err := c.Events.validate(); err != nil {
		return err
	}
	if err := c.Retention.validate(); err != nil {
		return err
	}
	if err := c.ACK.validate(c.Security.Access); err != nil {
		return err
	}
	if _, err := c.PodCIDR(); err != nil {
		return err
	}
	seen := map[string]bool{"local": true}
	for i, k := range c.Clusters {
		field := fmt.Sprintf("clusters[%d]", i)
		switch {
		case !patClusterID.MatchString(k.ID) || len(k.ID) > 100:
			return fmt.Errorf("%s.id %q: want 1-100 letters, digits, - and _, starting with a letter or digit", field, k.ID)
		case seen[k.ID]:
			return fmt.Errorf("%s.id %q: already used (\"local\" is the embedded runtime)", field, k.ID)
		case k.InCluster == (k.Kubeconfig != ""):
			return fmt.Errorf("%s (%s): give either kubeconfig or inCluster: true", field, k.ID)
		}
		seen[k.ID] = true
		if err := k.validateAdmission(field); err != nil {
			return err
		}
		if err := checkSubmissionMode(field+".submissionMode", k.SubmissionMode); err != nil {
			return err
		}
		for j, im := range k.Images {
			if im.ReleasePrefix == "" || im.Image == "" {
				return fmt.Errorf("%s.images[%d]: releasePrefix and image are required", field, j)
			}
		}
	}
	return nil
}

var patClusterID = regexp.MustCompile(`^[0-9A-Za-z][A-Za-z0-9\-_]*$`)

// Store kinds, as StoreKind names them.
const (
	StoreSQLite   = "sqlite"
	StorePostgres = "postgres"
)

// StoreKind says which store c.Store selects.
func (c *Config) StoreKind() (string, error) {
	switch u, err := url.Parse(c.Store); {
	case c.Store == "":
		return StoreSQLite, nil
	case err == nil && (u.Scheme == "postgres" || u.Scheme == "postgresql"):
		return StorePostgres, nil
	}
	return "", fmt.Errorf("store %q: want a postgres:// (or postgresql://) URL, or nothing for the embedded SQLite store in dataDir", StoreRedacted(c.Store))
}

// StoreRedacted is the store URL s without its password, for logs and errors.
func StoreRedacted(s string) string {
	u, err := url.Parse(s)
	if err != nil || u.User == nil {
		if err != nil && strings.Contains(s, "@") {
			return "(unparsable URL)"
		}
		return s
	}
	return u.Redacted()
}
