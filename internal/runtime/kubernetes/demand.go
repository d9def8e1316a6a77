package kubernetes

import (
	"fmt"
	"maps"
	"math"
	"regexp"
	"strconv"
	"strings"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
)

// podDemand is what one pod of a run asks of a node, as the scheduler
// counts it: CPU in millicores, memory in bytes, and where it may go.
type podDemand struct {
	role         string // "job runner", "driver", "executor"
	component    string // its LabelComponent value
	cpu, mem     int64
	nodeSelector map[string]string
	tolerations  []corev1.Toleration
}

// runDemand is what a run needs placed before it can make progress: its
// job runner (none in native mode), its driver, and its minimum executors.
type runDemand struct {
	runner    *podDemand
	driver    podDemand
	executor  podDemand
	executors int
}

// pods lists the run's pods with n executors, in the order they are
// created: job runner, driver, executors.
func (d runDemand) pods(n int) []podDemand {
	var out []podDemand
	if d.runner != nil {
		out = append(out, *d.runner)
	}
	out = append(out, d.driver)
	for range n {
		out = append(out, d.executor)
	}
	return out
}

// describe says what the run needs with n executors, for stateDetails.
func (d runDemand) describe(n int) string {
	var parts []string
	if d.runner != nil {
		parts = append(parts, "job runner "+amounts(d.runner.cpu, d.runner.mem))
	}
	parts = append(parts, "driver "+amounts(d.driver.cpu, d.driver.mem))
	if n > 0 {
		plural := ""
		if n > 1 {
			plural = "s"
		}
		parts = append(parts, fmt.Sprintf("%d executor%s %s", n, plural, amounts(d.executor.cpu, d.executor.mem)))
	}
	return strings.Join(parts, " + ")
}

// Spark's defaults (Spark 3.5, Kubernetes).
const (
	minOverheadMiB             = 384 // ResourceProfile.MEMORY_OVERHEAD_MIN_MIB
	jvmOverheadFactor          = 0.1 // spark.kubernetes.memoryOverheadFactor
	nonJVMOverheadFactor       = 0.4 // Python and R applications
	defaultExecutors           = 2   // spark.executor.instances
	defaultMemoryMiB           = 1024
	defaultCores         int64 = 1000
)

// demand computes what the plan's pods request, as Spark on Kubernetes
// computes its pods' requests: CPU from spark.kubernetes.<role>.request.cores,
// else spark.<role>.cores; memory spark.<role>.memory plus its overhead
// (spark.<role>.memoryOverhead, else the larger of 384 MiB and the
// overhead factor — 0.4 for Python and R applications unless
// spark.kubernetes.memoryOverheadFactor or spark.<role>.memoryOverheadFactor
// says otherwise — times the memory), plus, for executors,
// spark.executor.pyspark.memory and off-heap memory. Spark sets the main
// container's CPU and memory requests itself, so those of a pod template's
// main container are overridden; its other containers, init containers and
// pod overhead count. runner is the job runner's requests, nil in native
// mode.
func (p *plan) demand(runner *corev1.ResourceRequirements) runDemand {
	eff := p.sub.Effective()
	nonJVM := strings.HasSuffix(strings.ToLower(p.sub.EntryPoint), ".py") || strings.HasSuffix(strings.ToLower(p.sub.EntryPoint), ".r")
	defaultFactor := jvmOverheadFactor
	if v, ok := eff["spark.kubernetes.memoryOverheadFactor"]; ok {
		defaultFactor = parseFactor(v, jvmOverheadFactor)
	} else if nonJVM {
		defaultFactor = nonJVMOverheadFactor
	}
	podOf := func(role, component, container string, tmpl *corev1.Pod, extraMiB int64) podDemand {
		cpu := parseCores(eff["spark.kubernetes."+role+".request.cores"], eff["spark."+role+".cores"])
		memMiB := sparkMiB(eff["spark."+role+".memory"], defaultMemoryMiB)
		factor := defaultFactor
		if v, ok := eff["spark."+role+".memoryOverheadFactor"]; ok {
			factor = parseFactor(v, defaultFactor)
		}
		overhead := max(int64(factor*float64(memMiB)), minOverheadMiB)
		if v, ok := eff["spark."+role+".memoryOverhead"]; ok {
			overhead = sparkMiB(v, overhead)
		}
		main := corev1.ResourceList{
			corev1.ResourceCPU:    *resource.NewMilliQuantity(cpu, resource.DecimalSI),
			corev1.ResourceMemory: *resource.NewQuantity((memMiB+overhead+extraMiB)<<20, resource.BinarySI),
		}
		selector := map[string]string{}
		var tolerations []corev1.Toleration
		if tmpl != nil {
			maps.Copy(selector, tmpl.Spec.NodeSelector)
			tolerations = tmpl.Spec.Tolerations
		}
		for _, prefix := range []string{"spark.kubernetes.node.selector.", "spark.kubernetes." + role + ".node.selector."} {
			for k, v := range eff {
				if name, ok := strings.CutPrefix(k, prefix); ok {
					selector[name] = v
				}
			}
		}
		c, m := podRequests(tmpl, container, main)
		return podDemand{role: role, component: component, cpu: c, mem: m, nodeSelector: selector, tolerations: tolerations}
	}
	var extra int64
	if v, ok := eff["spark.executor.pyspark.memory"]; ok {
		extra += sparkMiB(v, 0)
	}
	if strings.EqualFold(eff["spark.memory.offHeap.enabled"], "true") {
		extra += sparkBytes(eff["spark.memory.offHeap.size"]) >> 20
	}
	d := runDemand{
		driver:    podOf("driver", ComponentDriver, driverContainer, p.driver, 0),
		executor:  podOf("executor", ComponentExecutor, executorContainer, p.executor, extra),
		executors: minExecutors(eff),
	}
	if runner != nil {
		d.runner = &podDemand{role: "job runner", component: ComponentSubmitter,
			cpu: runner.Requests.Cpu().MilliValue(), mem: runner.Requests.Memory().Value(), nodeSelector: p.submitter.nodeSelector}
	}
	return d
}

// minExecutors is how many executors a run needs to make progress: with
// dynamic allocation its minExecutors, but at least one (a run with none
// cannot run a task, and a driver waiting for executors that never fit
// holds its node for nothing); otherwise spark.executor.instances (2).
func minExecutors(eff map[string]string) int {
	if strings.EqualFold(eff["spark.dynamicAllocation.enabled"], "true") {
		n, _ := strconv.Atoi(eff["spark.dynamicAllocation.minExecutors"])
		return max(n, 1)
	}
	n, err := strconv.Atoi(eff["spark.executor.instances"])
	if err != nil || n < 0 {
		return defaultExecutors
	}
	return n
}

// podRequests is what a pod built from tmpl asks of a node once its main
// container requests main: the sum over its containers, at least each init
// container's, plus its overhead; in millicores and bytes.
func podRequests(tmpl *corev1.Pod, mainContainer string, main corev1.ResourceList) (cpu, mem int64) {
	cpu, mem = main.Cpu().MilliValue(), main.Memory().Value()
	if tmpl == nil {
		return cpu, mem
	}
	for _, c := range tmpl.Spec.Containers {
		if c.Name != mainContainer {
			cpu += c.Resources.Requests.Cpu().MilliValue()
			mem += c.Resources.Requests.Memory().Value()
		}
	}
	for _, c := range tmpl.Spec.InitContainers {
		cpu = max(cpu, c.Resources.Requests.Cpu().MilliValue())
		mem = max(mem, c.Resources.Requests.Memory().Value())
	}
	return cpu + tmpl.Spec.Overhead.Cpu().MilliValue(), mem + tmpl.Spec.Overhead.Memory().Value()
}

// parseCores reads a CPU request (a Kubernetes quantity such as 250m or
// 0.5), else a Spark core count, in millicores; 1 core when neither parses.
func parseCores(request, cores string) int64 {
	for _, v := range []string{request, cores} {
		if q, err := resource.ParseQuantity(strings.TrimSpace(v)); v != "" && err == nil && q.Sign() > 0 {
			return q.MilliValue()
		}
	}
	return defaultCores
}

func parseFactor(v string, def float64) float64 {
	f, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
	if err != nil || f <= 0 || math.IsInf(f, 0) {
		return def
	}
	return f
}

// sparkSize is a Spark size string: a whole number and an optional unit.
var sparkSize = regexp.MustCompile(`^([0-9]+)([a-z]*)$`)

// sparkUnits are Spark's size suffixes, as powers of 1024.
var sparkUnits = map[string]uint{"b": 0, "k": 10, "kb": 10, "m": 20, "mb": 20, "g": 30, "gb": 30, "t": 40, "tb": 40, "p": 50, "pb": 50}

// sparkMiB reads a Spark memory setting (MiB without a unit) in MiB; def
// when it is empty or invalid.
func sparkMiB(v string, def int64) int64 {
	b, ok := parseSparkSize(v, 20)
	if !ok {
		return def
	}
	return b >> 20
}

// sparkBytes reads a Spark size in bytes (bytes without a unit); 0 when invalid.
func sparkBytes(v string) int64 {
	b, _ := parseSparkSize(v, 0)
	return b
}

func parseSparkSize(v string, defaultShift uint) (int64, bool) {
	m := sparkSize.FindStringSubmatch(strings.ToLower(strings.TrimSpace(v)))
	if m == nil {
		return 0, false
	}
	n, err := strconv.ParseInt(m[1], 10, 64)
	shift, known := sparkUnits[m[2]]
	if m[2] == "" {
		shift, known = defaultShift, true
	}
	if err != nil || !known || n > math.MaxInt64>>shift {
		return 0, false
	}
	return n << shift, true
}

// amounts renders CPU and memory as "250m/896Mi".
func amounts(cpu, mem int64) string { return cpuString(cpu) + "/" + memString(mem) }

func cpuString(milli int64) string {
	if milli%1000 == 0 {
		return strconv.FormatInt(milli/1000, 10)
	}
	return strconv.FormatInt(milli, 10) + "m"
}

func memString(b int64) string {
	if b >= 10<<30 {
		return strconv.FormatInt(b>>30, 10) + "Gi"
	}
	return strconv.FormatInt(b>>20, 10) + "Mi"
}
