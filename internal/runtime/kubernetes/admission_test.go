package kubernetes

import (
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	corelisters "k8s.io/client-go/listers/core/v1"
	"k8s.io/client-go/tools/cache"

	"github.com/sparkplane/sparkplane/internal/emr"
)

const mi = 1 << 20

// TestDemandAsSparkComputesIt: the requests Spark 3.5 gives the driver and
// executor pods, the job runner's, and how many executors a run needs.
func TestDemandAsSparkComputesIt(t *testing.T) {
	runner := jobRunnerResources(corev1.ResourceRequirements{})
	for _, tc := range []struct {
		name, params, entryPoint string
		native                   bool
		driverCPU, driverMiB     int64
		execCPU, execMiB         int64
		executors                int
	}{
		{name: "defaults, Python: overhead 0.4", params: "",
			driverCPU: 1000, driverMiB: 1024 + 409, execCPU: 1000, execMiB: 1024 + 409, executors: 2},
		{name: "requests and small memory: 384Mi overhead", params: "--conf spark.kubernetes.driver.request.cores=250m --conf spark.kubernetes.executor.request.cores=250m --conf spark.driver.memory=512m --conf spark.executor.memory=512m --conf spark.executor.instances=1",
			driverCPU: 250, driverMiB: 512 + 384, execCPU: 250, execMiB: 512 + 384, executors: 1},
		{name: "JVM application: overhead 0.1", params: "--conf spark.driver.memory=8g --conf spark.executor.memory=4g --conf spark.executor.cores=2", entryPoint: "s3://b/app.jar",
			driverCPU: 1000, driverMiB: 8192 + 819, execCPU: 2000, execMiB: 4096 + 409, executors: 2},
		{name: "explicit overheads and factor", params: "--conf spark.driver.memoryOverhead=1g --conf spark.executor.memoryOverheadFactor=0.5 --conf spark.executor.memory=2048 --conf spark.driver.cores=2",
			driverCPU: 2000, driverMiB: 1024 + 1024, execCPU: 1000, execMiB: 2048 + 1024, executors: 2},
		{name: "kubernetes factor wins over the Python default", params: "--conf spark.kubernetes.memoryOverheadFactor=0.2 --conf spark.executor.memory=4g",
			driverCPU: 1000, driverMiB: 1024 + 384, execCPU: 1000, execMiB: 4096 + 819, executors: 2},
		{name: "pyspark memory", params: "--conf spark.executor.pyspark.memory=512m",
			driverCPU: 1000, driverMiB: 1024 + 409, execCPU: 1000, execMiB: 1024 + 409 + 512, executors: 2},
		{name: "--num-executors", params: "--num-executors 5 --driver-memory 2g",
			driverCPU: 1000, driverMiB: 2048 + 819, execCPU: 1000, execMiB: 1024 + 409, executors: 5},
		{name: "dynamic allocation without a minimum: one executor", params: "--conf spark.dynamicAllocation.enabled=true --conf spark.executor.instances=10",
			driverCPU: 1000, driverMiB: 1024 + 409, execCPU: 1000, execMiB: 1024 + 409, executors: 1},
		{name: "dynamic allocation minimum", params: "--conf spark.dynamicAllocation.enabled=true --conf spark.dynamicAllocation.minExecutors=3",
			driverCPU: 1000, driverMiB: 1024 + 409, execCPU: 1000, execMiB: 1024 + 409, executors: 3},
		{name: "native mode: no job runner", params: "", native: true,
			driverCPU: 1000, driverMiB: 1024 + 409, execCPU: 1000, execMiB: 1024 + 409, executors: 2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var cfg []emr.Configuration
			if tc.native {
				cfg = append(cfg, emr.Configuration{Classification: "sparkplane", Properties: map[string]string{"submissionMode": "native"}})
			}
			vc, run := testRun(tc.params, cfg...)
			if tc.entryPoint != "" {
				run.JobDriver.SparkSubmitJobDriver.EntryPoint = tc.entryPoint
			}
			p, err := newPlan(vc, run, &Options{})
			if err != nil {
				t.Fatal(err)
			}
			var rr *corev1.ResourceRequirements
			if emr.RunSubmissionMode(run, emr.SubmitJobRunner) == emr.SubmitJobRunner {
				rr = &runner
			}
			d := p.demand(rr)
			if tc.native != (d.runner == nil) {
				t.Fatalf("job runner %+v in native mode %v", d.runner, tc.native)
			}
			if d.runner != nil && (d.runner.cpu != 800 || d.runner.mem != 512*mi) {
				t.Errorf("job runner %d m / %d Mi, want EMR's 800m / 512Mi", d.runner.cpu, d.runner.mem/mi)
			}
			if d.driver.cpu != tc.driverCPU || d.driver.mem != tc.driverMiB*mi {
				t.Errorf("driver %dm/%dMi, want %dm/%dMi", d.driver.cpu, d.driver.mem/mi, tc.driverCPU, tc.driverMiB)
			}
			if d.executor.cpu != tc.execCPU || d.executor.mem != tc.execMiB*mi {
				t.Errorf("executor %dm/%dMi, want %dm/%dMi", d.executor.cpu, d.executor.mem/mi, tc.execCPU, tc.execMiB)
			}
			if d.executors != tc.executors {
				t.Errorf("%d executors, want %d", d.executors, tc.executors)
			}
		})
	}
}

// A pod template's sidecars and init containers count; its main
// container's CPU and memory are Spark's.
func TestDemandCountsPodTemplateSidecars(t *testing.T) {
	tmpl := &corev1.Pod{Spec: corev1.PodSpec{
		Containers: []corev1.Container{
			{Name: executorContainer, Resources: reqs("4", "8Gi")}, // overridden by Spark
			{Name: "fluent-bit", Resources: reqs("100m", "128Mi")},
		},
		InitContainers: []corev1.Container{{Name: "init", Resources: reqs("2", "64Mi")}},
	}}
	cpu, mem := podRequests(tmpl, executorContainer, reqs("250m", "896Mi").Requests)
	if cpu != 2000 || mem != (896+128)*mi {
		t.Errorf("podRequests = %dm/%dMi, want 2000m (the init container) / 1024Mi", cpu, mem/mi)
	}
}

func reqs(cpu, mem string) corev1.ResourceRequirements {
	return corev1.ResourceRequirements{Requests: corev1.ResourceList{corev1.ResourceCPU: resource.MustParse(cpu), corev1.ResourceMemory: resource.MustParse(mem)}}
}

// pi250 is the run of the issue: job runner 800m/512Mi, driver and one
// executor 250m/896Mi.
func pi250(jobRunner bool) runDemand {
	d := runDemand{driver: podDemand{role: "driver", component: ComponentDriver, cpu: 250, mem: 896 * mi},
		executor: podDemand{role: "executor", component: ComponentExecutor, cpu: 250, mem: 896 * mi}, executors: 1}
	if jobRunner {
		d.runner = &podDemand{role: "job runner", component: ComponentSubmitter, cpu: 800, mem: 512 * mi}
	}
	return d
}

func node(name string, cpu int64) nodeRoom {
	return nodeRoom{name: name, cpu: cpu, mem: 24 << 30, pods: 110}
}

// TestAdmitRunNeverOverfills: runs admitted one after the other on the
// 2-core embedded node, each leaving a reservation, take exactly what
// fits: one run at a time with a job runner, four without; never the
// deadlock measured before (two job runners and a driver filling the node).
func TestAdmitRunNeverOverfills(t *testing.T) {
	for _, tc := range []struct {
		jobRunner bool
		want      int
	}{{true, 1}, {false, 4}} {
		c := capacity{nodes: []nodeRoom{node("n", 2000)}, empty: []nodeRoom{node("n", 2000)}}
		d := pi250(tc.jobRunner)
		admitted := 0
		var why string
		for range 20 {
			ok, n, reason := admitRun(d, c)
			if !ok {
				why = reason
				continue
			}
			admitted++
			c.reservedUnbound = append(c.reservedUnbound, d.pods(n)...)
			c.runs++
		}
		if admitted != tc.want {
			t.Errorf("job runner %v: %d of 20 admitted, want %d", tc.jobRunner, admitted, tc.want)
		}
		if !strings.HasPrefix(why, "Waiting for capacity:") || !strings.Contains(why, "driver 250m/896Mi + 1 executor 250m/896Mi") || len(why) > 256 {
			t.Errorf("reason %q", why)
		}
	}
}

func TestAdmitRun(t *testing.T) {
	d := pi250(true)
	tainted := node("a", 4000)
	tainted.taints = []corev1.Taint{{Key: "gpu", Value: "true", Effect: corev1.TaintEffectNoSchedule}}
	cordoned := node("b", 4000)
	cordoned.unavailable = true
	for _, tc := range []struct {
		name      string
		c         capacity
		d         runDemand
		ok        bool
		executors int
		why       string
	}{
		{name: "empty node", c: capacity{nodes: []nodeRoom{node("n", 2000)}, empty: []nodeRoom{node("n", 2000)}}, d: d, ok: true, executors: 1},
		{name: "the measured deadlock: two job runners and a driver bound",
			c: capacity{nodes: []nodeRoom{node("n", 2000-800-800-250)}, empty: []nodeRoom{node("n", 2000)}}, d: d,
			why: "Waiting for capacity: needs job runner 800m/512Mi + driver 250m/896Mi + 1 executor 250m/896Mi; free on nodes 150m/"},
		{name: "first fit per pod, not the sum: 3 × 500m free does not take a 800m job runner",
			c: capacity{nodes: []nodeRoom{node("x", 500), node("y", 500), node("z", 500)}, empty: []nodeRoom{node("x", 2000), node("y", 2000), node("z", 2000)}}, d: d,
			why: "free on nodes 1500m/72Gi on 3 nodes (at most 500m/24Gi on one)"},
		{name: "pods spread over nodes", c: capacity{nodes: []nodeRoom{node("x", 800), node("y", 500)}, empty: []nodeRoom{node("x", 2000), node("y", 2000)}}, d: d, ok: true, executors: 1},
		{name: "tainted and cordoned nodes take nothing",
			c: capacity{nodes: []nodeRoom{tainted, cordoned, node("c", 1000)}, empty: []nodeRoom{tainted, cordoned, node("c", 2000)}}, d: d,
			why: "Waiting for capacity"},
		{name: "namespace pods waiting for a node come first",
			c: capacity{nodes: []nodeRoom{node("n", 2000)}, empty: []nodeRoom{node("n", 2000)}, waiting: []podDemand{{cpu: 1000, mem: mi}}}, d: d,
			why: "Waiting for capacity"},
		{name: "a waiting pod that fits nowhere takes nothing",
			c: capacity{nodes: []nodeRoom{node("n", 2000)}, empty: []nodeRoom{node("n", 2000)}, waiting: []podDemand{{cpu: 64000, mem: mi}}}, d: d, ok: true, executors: 1},
		{name: "earlier runs not placed yet",
			c: capacity{nodes: []nodeRoom{node("n", 1000)}, empty: []nodeRoom{node("n", 2000)}, reservedUnbound: pi250(true).pods(1), runs: 1}, d: d,
			why: "Waiting for capacity: 1 run(s) admitted before are not placed yet"},
		{name: "quota left", c: capacity{quotas: []quotaRoom{{name: "q", cpu: 1000, mem: -1, pods: -1}}, quotaHard: []quotaRoom{{name: "q", cpu: 8000, mem: -1, pods: -1}}}, d: d,
			why: "Waiting for quota: needs job runner 800m/512Mi + driver 250m/896Mi + 1 executor 250m/896Mi; ResourceQuota q has requests.cpu 1 left."},
		{name: "quota minus pods of admitted runs not created yet",
			c: capacity{quotas: []quotaRoom{{name: "q", cpu: -1, mem: -1, pods: 4}}, quotaHard: []quotaRoom{{name: "q", cpu: -1, mem: -1, pods: 10}}, reservedUncreated: pi250(false).pods(1)}, d: d,
			why: "ResourceQuota q has pods 2 left."},
		{name: "quota fits", c: capacity{quotas: []quotaRoom{{name: "q", cpu: 1300, mem: 3 << 30, pods: 3}}, quotaHard: []quotaRoom{{name: "q", cpu: 1300, mem: 3 << 30, pods: 3}}}, d: d, ok: true, executors: 1},
		{name: "no nodes readable, no quota: admitted", c: capacity{}, d: d, ok: true, executors: 1},
		{name: "more executors than the cluster holds: as many as fit an empty cluster",
			c: capacity{nodes: []nodeRoom{node("n", 2000)}, empty: []nodeRoom{node("n", 2000)}},
			d: runDemand{driver: d.driver, executor: podDemand{cpu: 500, mem: mi}, executors: 10}, ok: true, executors: 3},
		{name: "a driver that never fits is admitted, for Kubernetes to say why",
			c: capacity{nodes: []nodeRoom{node("n", 100)}, empty: []nodeRoom{node("n", 2000)}},
			d: runDemand{driver: podDemand{cpu: 4000}, executor: podDemand{cpu: 1}, executors: 1}, ok: true, executors: 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ok, n, why := admitRun(tc.d, tc.c)
			if ok != tc.ok || (ok && n != tc.executors) {
				t.Fatalf("admitRun = %v, %d executors, %q; want %v, %d", ok, n, why, tc.ok, tc.executors)
			}
			if !ok && !strings.Contains(why, tc.why) {
				t.Errorf("reason %q, want it to contain %q", why, tc.why)
			}
		})
	}
}

// A reservation holds the room of the pods not bound (for nodes) or not
// created (for quotas) yet.
func TestReservationUnplaced(t *testing.T) {
	res := &reservation{pods: runDemand{runner: &podDemand{component: ComponentSubmitter}, driver: podDemand{component: ComponentDriver},
		executor: podDemand{component: ComponentExecutor}, executors: 2}.pods(2),
		created: map[string]int{ComponentSubmitter: 1, ComponentDriver: 1, ComponentExecutor: 1},
		bound:   map[string]int{ComponentSubmitter: 1}}
	unbound, uncreated := res.unplaced()
	if len(unbound) != 3 || unbound[0].component != ComponentDriver || len(uncreated) != 1 || uncreated[0].component != ComponentExecutor {
		t.Errorf("unbound %+v, uncreated %+v; want driver and 2 executors, 1 executor", unbound, uncreated)
	}
}

func TestJobRunnerResources(t *testing.T) {
	def := jobRunnerResources(corev1.ResourceRequirements{})
	if def.Requests.Cpu().String() != "800m" || def.Requests.Memory().String() != "512Mi" || def.Limits.Cpu().String() != "1" || def.Limits.Memory().String() != "1Gi" {
		t.Errorf("default %v, want EMR's 800m/512Mi, at most 1/1Gi", def)
	}
	small := jobRunnerResources(reqs("250m", "256Mi"))
	if small.Requests.Cpu().String() != "250m" || small.Requests.Memory().String() != "256Mi" || small.Limits.Cpu().String() != "1" {
		t.Errorf("configured %v", small)
	}
	big := jobRunnerResources(corev1.ResourceRequirements{Requests: corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("2")}})
	if big.Limits.Cpu().String() != "2" {
		t.Errorf("a request of 2 CPUs keeps limit %v; want it raised to 2", big.Limits.Cpu())
	}
	vc, run := testRun("")
	p, err := newPlan(vc, run, &Options{JobRunner: reqs("300m", "600Mi")})
	if err != nil {
		t.Fatal(err)
	}
	if got := p.job().Spec.Template.Spec.Containers[0].Resources.Requests; got.Cpu().String() != "300m" || got.Memory().String() != "600Mi" {
		t.Errorf("job runner container requests %v, want 300m/600Mi", got)
	}
}

func TestSparkSizes(t *testing.T) {
	for v, want := range map[string]int64{"1g": 1024, "1G": 1024, "512m": 512, "2048": 2048, "1gb": 1024, "1t": 1 << 20, "4096k": 4, "1.5g": -1, "": -1, "12x": -1} {
		if got := sparkMiB(v, -1); got != want {
			t.Errorf("sparkMiB(%q) = %d, want %d", v, got, want)
		}
	}
}

// TestNodeNotReadyForAWhileHoldsTheQueue: while the only node is not Ready
// (its lease late, say) and tainted so, runs wait for it; they are not
// taken for runs that can never fit and admitted all at once, which filled
// the node with job runners whose drivers could never start.
func TestNodeNotReadyForAWhileHoldsTheQueue(t *testing.T) {
	for _, tc := range []struct {
		name string
		edit func(*corev1.Node)
		why  string
	}{
		{name: "not ready", why: "free on nodes none (no node is Ready and schedulable)", edit: func(n *corev1.Node) {
			n.Status.Conditions[0].Status = corev1.ConditionUnknown
			n.Spec.Taints = []corev1.Taint{{Key: corev1.TaintNodeUnreachable, Effect: corev1.TaintEffectNoSchedule},
				{Key: corev1.TaintNodeUnreachable, Effect: corev1.TaintEffectNoExecute}}
		}},
		{name: "cordoned", why: "free on nodes none", edit: func(n *corev1.Node) {
			n.Spec.Unschedulable = true
			n.Spec.Taints = []corev1.Taint{{Key: corev1.TaintNodeUnschedulable, Effect: corev1.TaintEffectNoSchedule}}
		}},
		{name: "memory pressure", why: "free on nodes none", edit: func(n *corev1.Node) {
			n.Spec.Taints = []corev1.Taint{{Key: corev1.TaintNodeMemoryPressure, Effect: corev1.TaintEffectNoSchedule}}
		}},
		{name: "a lasting taint the pods do not tolerate: admitted, for Kubernetes to say why", edit: func(n *corev1.Node) {
			n.Spec.Taints = []corev1.Taint{{Key: "dedicated", Value: "gpu", Effect: corev1.TaintEffectNoSchedule}}
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			n := &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: "sparkplane-dev"}, Status: corev1.NodeStatus{
				Allocatable: corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("2"), corev1.ResourceMemory: resource.MustParse("24Gi")},
				Conditions:  []corev1.NodeCondition{{Type: corev1.NodeReady, Status: corev1.ConditionTrue}}}}
			tc.edit(n)
			nodes := cache.NewIndexer(cache.MetaNamespaceKeyFunc, cache.Indexers{})
			if err := nodes.Add(n); err != nil {
				t.Fatal(err)
			}
			cw := &clusterWatch{nodes: corelisters.NewNodeLister(nodes), pods: corelisters.NewPodLister(cache.NewIndexer(cache.MetaNamespaceKeyFunc, cache.Indexers{}))}
			var c capacity
			var err error
			if c.nodes, c.empty, c.waiting, err = cw.room("ns", nil); err != nil {
				t.Fatal(err)
			}
			ok, _, why := admitRun(pi250(true), c)
			if tc.why == "" {
				if !ok {
					t.Fatalf("admitRun = waiting (%q); want admitted", why)
				}
				return
			}
			if ok || !strings.Contains(why, tc.why) {
				t.Fatalf("admitRun = %v, %q; want it waiting, saying %q", ok, why, tc.why)
			}
		})
	}
}
