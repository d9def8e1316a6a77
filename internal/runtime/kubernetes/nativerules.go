package kubernetes

import (
	"fmt"
	"math"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"

	"github.com/sparkplane/sparkplane/internal/sparksubmit"
)

// The rules of Spark's Kubernetes submission that native submission
// follows to the letter: how it names things, reads memory sizes and
// writes spark.properties.

var (
	notNameChar = regexp.MustCompile(`[^a-z0-9\-]`)
	dashes      = regexp.MustCompile(`-+`)
)

// resourceNamePrefix is Spark's getResourceNamePrefix of appName.
func resourceNamePrefix(appName, id string) string {
	s := strings.ToLower(strings.TrimSpace(appName + "-" + id))
	s = dashes.ReplaceAllString(notNameChar.ReplaceAllString(s, "-"), "-")
	s = strings.TrimPrefix(s, "-")
	if s != "" && s[0] >= '0' && s[0] <= '9' {
		s = "x" + s[1:]
	}
	return s
}

// appNameLabel is Spark's getAppNameLabel: the name as a label value.
func appNameLabel(appName string) string {
	s := strings.ToLower(strings.TrimSpace(appName))
	s = dashes.ReplaceAllString(notNameChar.ReplaceAllString(s, "-"), "-")
	if len(s) > dnsLabelMax {
		s = s[:dnsLabelMax]
	}
	return strings.TrimSuffix(strings.TrimPrefix(s, "-"), "-")
}

// prefixed returns the properties under prefix, without it.
func prefixed(conf map[string]string, prefix string) map[string]string {
	out := map[string]string{}
	for k, v := range conf {
		if rest, ok := strings.CutPrefix(k, prefix); ok && rest != "" {
			out[rest] = v
		}
	}
	return out
}

// sortedPairs returns m's keys in order.
func sortedPairs(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// driverResources sets the driver container's requests and limits as
// BasicDriverFeatureStep computes them.
func driverResources(c *corev1.Container, conf map[string]string, defaultFactor float64) error {
	cores := stringProp(conf, "spark.kubernetes.driver.request.cores", stringProp(conf, "spark.driver.cores", "1"))
	cpu, err := resource.ParseQuantity(cores)
	if err != nil {
		return fmt.Errorf("driver cores %q: %v", cores, err)
	}
	memMiB, err := mebibytes(stringProp(conf, "spark.driver.memory", "1g"))
	if err != nil {
		return fmt.Errorf("spark.driver.memory: %v", err)
	}
	factor := defaultFactor
	if v, ok := conf["spark.driver.memoryOverheadFactor"]; ok {
		if factor, err = strconv.ParseFloat(strings.TrimSpace(v), 64); err != nil || factor < 0 {
			return fmt.Errorf("spark.driver.memoryOverheadFactor=%q is not a non-negative number", v)
		}
	}
	overhead := max(int64(factor*float64(memMiB)), memoryOverheadMinMiB)
	if v, ok := conf["spark.driver.memoryOverhead"]; ok {
		if overhead, err = mebibytes(v); err != nil {
			return fmt.Errorf("spark.driver.memoryOverhead: %v", err)
		}
	}
	mem := resource.MustParse(strconv.FormatInt(memMiB+overhead, 10) + "Mi")
	if c.Resources.Requests == nil {
		c.Resources.Requests = corev1.ResourceList{}
	}
	if c.Resources.Limits == nil {
		c.Resources.Limits = corev1.ResourceList{}
	}
	c.Resources.Requests[corev1.ResourceCPU] = cpu
	if v, ok := conf["spark.kubernetes.driver.limit.cores"]; ok {
		lim, err := resource.ParseQuantity(v)
		if err != nil {
			return fmt.Errorf("spark.kubernetes.driver.limit.cores %q: %v", v, err)
		}
		c.Resources.Limits[corev1.ResourceCPU] = lim
	}
	c.Resources.Requests[corev1.ResourceMemory] = mem
	c.Resources.Limits[corev1.ResourceMemory] = mem
	for name, amount := range prefixed(conf, "spark.driver.resource.") {
		res, ok := strings.CutSuffix(name, ".amount")
		if !ok {
			continue
		}
		vendor := conf["spark.driver.resource."+res+".vendor"]
		if vendor == "" {
			return fmt.Errorf("spark.driver.resource.%s.vendor is required on Kubernetes", res)
		}
		q, err := resource.ParseQuantity(amount)
		if err != nil {
			return fmt.Errorf("spark.driver.resource.%s.amount %q: %v", res, amount, err)
		}
		c.Resources.Limits[corev1.ResourceName(vendor+"/"+res)] = q
	}
	return nil
}

// mebibytes reads a JVM memory string (1g, 512m, 2048: MiB) as MiB, as
// Spark's byteStringAsMb does.
func mebibytes(v string) (int64, error) {
	s := strings.ToLower(strings.TrimSpace(v))
	mult := map[string]float64{"k": 1.0 / 1024, "kb": 1.0 / 1024, "m": 1, "mb": 1, "g": 1024, "gb": 1024, "t": 1 << 20, "tb": 1 << 20, "p": 1 << 30, "pb": 1 << 30, "b": 1.0 / (1 << 20)}
	num := strings.TrimRightFunc(s, func(r rune) bool { return r >= 'a' && r <= 'z' })
	unit := s[len(num):]
	n, err := strconv.ParseInt(num, 10, 64)
	if err != nil || n < 0 {
		return 0, fmt.Errorf("%q is not a memory size (e.g. 512m, 2g)", v)
	}
	m := 1.0
	if unit != "" {
		var ok bool
		if m, ok = mult[unit]; !ok {
			return 0, fmt.Errorf("%q is not a memory size (e.g. 512m, 2g)", v)
		}
	}
	return int64(math.Floor(float64(n) * m)), nil
}

func intProp(conf map[string]string, key string, def int) int {
	if n, err := strconv.Atoi(strings.TrimSpace(conf[key])); err == nil {
		return n
	}
	return def
}

func stringProp(conf map[string]string, key, def string) string {
	if v, ok := conf[key]; ok {
		return v
	}
	return def
}

// javaDouble formats f as Java's Double.toString does for the factors
// Spark uses (0.1, 0.4, 1.0).
func javaDouble(f float64) string {
	s := strconv.FormatFloat(f, 'f', -1, 64)
	if !strings.Contains(s, ".") {
		s += ".0"
	}
	return s
}

// uuidOf formats 32 hex digits as a random (version 4) UUID, as Java's
// UUID.randomUUID prints one.
func uuidOf(h string) string {
	variant := "89ab"[strings.IndexByte("0123456789abcdef", h[16])%4]
	return h[:8] + "-" + h[8:12] + "-4" + h[13:16] + "-" + string(variant) + h[17:20] + "-" + h[20:32]
}

// javaProperties renders props as java.util.Properties.store does: the
// comment, the date, then key=value lines escaped (keys sorted here).
func javaProperties(props map[string]string, comment string, now time.Time) string {
	var b strings.Builder
	b.WriteString("#" + comment + "\n")
	b.WriteString("#" + now.UTC().Format("Mon Jan 02 15:04:05 MST 2006") + "\n")
	for _, k := range sortedPairs(props) {
		b.WriteString(sparksubmit.EscapeProperty(k, true, sparksubmit.AsStore))
		b.WriteByte('=')
		b.WriteString(sparksubmit.EscapeProperty(props[k], false, sparksubmit.AsStore))
		b.WriteByte('\n')
	}
	return b.String()
}

// sparkVersionOf reads the Spark version from an Apache Spark image's tag
// (apache/spark:3.5.7-java17-python3, apache/spark-py:v3.3.0); "" when the
// tag does not say.
func sparkVersionOf(image string) string {
	i := strings.LastIndex(image, ":")
	if i < 0 || strings.Contains(image[i:], "/") {
		return ""
	}
	tag := strings.TrimPrefix(image[i+1:], "v")
	v, _, _ := strings.Cut(tag, "-")
	if parts := strings.Split(v, "."); len(parts) == 3 {
		for _, p := range parts {
			if _, err := strconv.Atoi(p); err != nil {
				return ""
			}
		}
		return v
	}
	return ""
}
