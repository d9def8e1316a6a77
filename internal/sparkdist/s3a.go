package sparkdist

import (
	"context"
	"crypto/sha1"
	"encoding/hex"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// The S3A connector (hadoop-aws) is not part of Spark's distributions:
// AddS3A adds it, with the AWS SDK bundle it was built against, to a
// Spark's jars/ folder, where spark-submit puts every jar on the class
// path. Both come from Maven Central, in the versions that match the
// Hadoop client jars the Spark ships:
//
//	Hadoop < 3.4 (Spark 3.x): org.apache.hadoop:hadoop-aws:<hadoop> +
//	  com.amazonaws:aws-java-sdk-bundle:<aws-java-sdk.version>
//	  (pyspark 3.5.x: Hadoop 3.3.4, SDK 1.12.262)
//	Hadoop ≥ 3.4 (Spark 4.x): org.apache.hadoop:hadoop-aws:<hadoop> +
//	  software.amazon.awssdk:bundle:<aws-java-sdk-v2.version>
//
// The SDK version is the property of that name in Hadoop's own build
// (org.apache.hadoop:hadoop-project:<hadoop>'s pom), so no table here goes
// stale. Every file is checked against the SHA-1 Maven Central publishes
// next to it, and lands in jars/ by a rename once complete, world-readable
// (as root, jobs run as other users). hadoop-aws is installed last: its jar
// being there means the connector is complete, and AddS3A does nothing
// more (nor needs the network).

// MavenCentral is the Maven repository AddS3A downloads from.
const MavenCentral = "https://repo1.maven.org/maven2"

// artifact is one jar of a Maven repository.
type artifact struct{ group, name, version string }

func (a artifact) String() string { return a.group + ":" + a.name + ":" + a.version }

// file is the artifact's file name with extension ext ("jar", "pom").
func (a artifact) file(ext string) string { return a.name + "-" + a.version + "." + ext }

// url is where the artifact's file with extension ext is in repo.
func (a artifact) url(repo, ext string) string {
	return strings.TrimSuffix(repo, "/") + "/" + strings.ReplaceAll(a.group, ".", "/") + "/" + a.name + "/" + a.version + "/" + a.file(ext)
}

// AddS3A installs the S3A connector matching the Spark in sparkHome (the
// folder of bin/spark-submit and jars/) from Maven Central; see above. It
// is idempotent, and safe to run while jobs use that Spark. log receives
// its progress (nil: slog.Default()).
func AddS3A(ctx context.Context, sparkHome string, log *slog.Logger) error {
	return addS3A(ctx, http.DefaultClient, MavenCentral, sparkHome, log)
}

func addS3A(ctx context.Context, client *http.Client, repo, sparkHome string, log *slog.Logger) error {
	if log == nil {
		log = slog.Default()
	}
	jars := filepath.Join(sparkHome, "jars")
	hadoop, err := HadoopVersion(sparkHome)
	if err != nil {
		return err
	}
	aws := artifact{"org.apache.hadoop", "hadoop-aws", hadoop}
	if isFile(filepath.Join(jars, aws.file("jar"))) {
		log.Info("S3A connector present", "hadoop-aws", hadoop, "jars", jars)
		return nil
	}
	if others, _ := filepath.Glob(filepath.Join(jars, "hadoop-aws-*.jar")); len(others) > 0 {
		return fmt.Errorf("%s has %s, which does not match its Hadoop %s: remove it and run again", jars, filepath.Base(others[0]), hadoop)
	}
	m := maven{client: client, repo: repo, log: log}
	sdk, err := m.sdkBundle(ctx, hadoop)
	if err != nil {
		return err
	}
	log.Info("installing the S3A connector", "hadoop-aws", hadoop, "sdk", sdk.String(), "from", repo, "jars", jars)
	for _, a := range []artifact{sdk, aws} { // hadoop-aws last: see above
		if err := m.install(ctx, a, jars); err != nil {
			return err
		}
	}
	log.Info("S3A connector installed", "hadoop-aws", hadoop, "sdk", sdk.String())
	return nil
}

var hadoopJar = regexp.MustCompile(`^hadoop-(?:client-api|common)-(\d+\.\d+\.\d+)\.jar$`)

// HadoopVersion is the version of the Hadoop client jars in sparkHome's
// jars/ (hadoop-client-api-<v>.jar in pyspark and Spark's binary
// distributions, hadoop-common-<v>.jar in builds without the shaded client).
func HadoopVersion(sparkHome string) (string, error) {
	jars := filepath.Join(sparkHome, "jars")
	entries, err := os.ReadDir(jars)
	if err != nil {
		return "", fmt.Errorf("spark's jars: %w", err)
	}
	for _, e := range entries {
		if m := hadoopJar.FindStringSubmatch(e.Name()); m != nil {
			return m[1], nil
		}
	}
	return "", fmt.Errorf("no hadoop-client-api-<version>.jar in %s: cannot tell which hadoop-aws matches this Spark", jars)
}

// maven downloads from a Maven repository.
type maven struct {
	client *http.Client
	repo   string
	log    *slog.Logger
}

// sdkBundle is the AWS SDK bundle hadoop-aws of Hadoop version hadoop was
// built against, read from that Hadoop's hadoop-project pom.
func (m maven) sdkBundle(ctx context.Context, hadoop string) (artifact, error) {
	major, minor, err := majorMinor(hadoop)
	if err != nil {
		return artifact{}, err
	}
	bundle, property := artifact{group: "com.amazonaws", name: "aws-java-sdk-bundle"}, "aws-java-sdk.version"
	if major > 3 || major == 3 && minor >= 4 { // Hadoop 3.4 moved S3A to the AWS SDK v2
		bundle, property = artifact{group: "software.amazon.awssdk", name: "bundle"}, "aws-java-sdk-v2.version"
	}
	project := artifact{"org.apache.hadoop", "hadoop-project", hadoop}
	pom, err := m.get(ctx, project, "pom")
	if err != nil {
		return artifact{}, err
	}
	var doc struct {
		Properties struct {
			Any []struct {
				XMLName xml.Name
				Value   string `xml:",chardata"`
			} `xml:",any"`
		} `xml:"properties"`
	}
	if err := xml.Unmarshal(pom, &doc); err != nil {
		return artifact{}, fmt.Errorf("%s pom: %w", project, err)
	}
	for _, p := range doc.Properties.Any {
		if p.XMLName.Local == property {
			bundle.version = strings.TrimSpace(p.Value)
		}
	}
	if bundle.version == "" || strings.Contains(bundle.version, "$") {
		return artifact{}, fmt.Errorf("%s pom: no %s property: cannot tell which AWS SDK hadoop-aws %s needs", project, property, hadoop)
	}
	return bundle, nil
}

func majorMinor(v string) (int, int, error) {
	parts := strings.SplitN(v, ".", 3)
	if len(parts) < 2 {
		return 0, 0, fmt.Errorf("hadoop version %q: want <major>.<minor>.<patch>", v)
	}
	major, err1 := strconv.Atoi(parts[0])
	minor, err2 := strconv.Atoi(parts[1])
	if err := errors.Join(err1, err2); err != nil {
		return 0, 0, fmt.Errorf("hadoop version %q: %w", v, err)
	}
	return major, minor, nil
}

// get downloads a small file of a, checked against its SHA-1.
func (m maven) get(ctx context.Context, a artifact, ext string) ([]byte, error) {
	want, err := m.sha1(ctx, a, ext)
	if err != nil {
		return nil, err
	}
	body, _, err := m.open(ctx, a.url(m.repo, ext))
	if err != nil {
		return nil, err
	}
	defer body.Close()
	b, err := io.ReadAll(io.LimitReader(body, 16<<20))
	if err != nil {
		return nil, fmt.Errorf("download %s: %w", a.url(m.repo, ext), err)
	}
	if got := sha1.Sum(b); hex.EncodeToString(got[:]) != want {
		return nil, fmt.Errorf("download %s: SHA-1 %x, Maven Central publishes %s", a.url(m.repo, ext), got, want)
	}
	return b, nil
}

// install downloads a's jar into the folder jars: into a temporary file
// (no .jar suffix, so never on a class path), checked against its SHA-1,
// then renamed into place, mode 0644.
func (m maven) install(ctx context.Context, a artifact, jars string) error {
	dst := filepath.Join(jars, a.file("jar"))
	if isFile(dst) {
		m.log.Info("present", "jar", dst)
		return nil
	}
	want, err := m.sha1(ctx, a, "jar")
	if err != nil {
		return err
	}
	url := a.url(m.repo, "jar")
	body, size, err := m.open(ctx, url)
	if err != nil {
		return err
	}
	defer body.Close()
	tmp, err := os.CreateTemp(jars, "."+a.file("jar")+".*.part")
	if err != nil {
		return fmt.Errorf("install %s: %w", a, err)
	}
	defer os.Remove(tmp.Name()) // once renamed, a no-op
	defer tmp.Close()
	sum := sha1.New()
	m.log.Info("downloading", "url", url, "size", mib(size))
	p := &progress{log: m.log, name: a.file("jar"), size: size, next: time.Now().Add(5 * time.Second)}
	if _, err := io.Copy(io.MultiWriter(tmp, sum, p), body); err != nil {
		return fmt.Errorf("download %s: %w", url, err)
	}
	if got := hex.EncodeToString(sum.Sum(nil)); got != want {
		return fmt.Errorf("download %s: SHA-1 %s, Maven Central publishes %s", url, got, want)
	}
	if err := errors.Join(tmp.Chmod(0o644), tmp.Sync(), tmp.Close()); err != nil {
		return fmt.Errorf("install %s: %w", a, err)
	}
	if err := os.Rename(tmp.Name(), dst); err != nil {
		return fmt.Errorf("install %s: %w", a, err)
	}
	m.log.Info("installed", "jar", dst, "sha1", want)
	return nil
}

var sha1Hex = regexp.MustCompile(`^[0-9a-f]{40}$`)

// sha1 is the SHA-1 the repository publishes for a's file with extension
// ext (the .sha1 file next to it: the hex digest, perhaps followed by the
// file's name).
func (m maven) sha1(ctx context.Context, a artifact, ext string) (string, error) {
	url := a.url(m.repo, ext) + ".sha1"
	body, _, err := m.open(ctx, url)
	if err != nil {
		return "", err
	}
	defer body.Close()
	b, err := io.ReadAll(io.LimitReader(body, 1024))
	if err != nil {
		return "", fmt.Errorf("download %s: %w", url, err)
	}
	fields := strings.Fields(strings.ToLower(string(b)))
	if len(fields) == 0 || !sha1Hex.MatchString(fields[0]) {
		return "", fmt.Errorf("download %s: not a SHA-1: %.80q", url, b)
	}
	return fields[0], nil
}

// open GETs url; the body is the caller's to close. size is -1 when the
// server does not say.
func (m maven) open(ctx context.Context, url string) (io.ReadCloser, int64, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return nil, 0, err
	}
	req.Header.Set("User-Agent", "sparkplane")
	resp, err := m.client.Do(req)
	if err != nil {
		return nil, 0, fmt.Errorf("download %s: %w", url, err)
	}
	if resp.StatusCode != http.StatusOK {
		resp.Body.Close()
		return nil, 0, fmt.Errorf("download %s: %s", url, resp.Status)
	}
	return resp.Body, resp.ContentLength, nil
}

// progress logs how far a download is, every 5 seconds.
type progress struct {
	log  *slog.Logger
	name string
	size int64 // -1: unknown
	done int64
	next time.Time
}

func (p *progress) Write(b []byte) (int, error) {
	p.done += int64(len(b))
	if now := time.Now(); now.After(p.next) {
		p.next = now.Add(5 * time.Second)
		if p.size > 0 {
			p.log.Info("downloading", "jar", p.name, "done", mib(p.done), "of", mib(p.size), "percent", p.done*100/p.size)
		} else {
			p.log.Info("downloading", "jar", p.name, "done", mib(p.done))
		}
	}
	return len(b), nil
}

func mib(n int64) string {
	if n < 0 {
		return "unknown"
	}
	return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
}
