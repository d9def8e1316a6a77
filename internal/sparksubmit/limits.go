package sparksubmit

import "fmt"

// Bounds on the executors a run may ask for. Spark itself takes any int;
// sparkplane refuses more than these at StartJobRun, so that no runtime
// computes with absurd sizes (the local runtime runs local[instances ×
// cores]; metering multiplies them; a Kubernetes run would ask its cluster
// for that many pods). Each is far above a real job's needs.
const (
	MaxExecutorInstances = 10000
	MaxExecutorCores     = 1024
)

// Executors reads spark.executor.instances and spark.executor.cores from
// eff (1 each when absent) and checks them against the bounds; the product
// fits an int on every platform (at most 10,240,000).
func Executors(eff map[string]string) (instances, cores int, err error) {
	instances, err = IntProp(eff, "spark.executor.instances", 1)
	if err != nil {
		return 0, 0, err
	}
	if instances > MaxExecutorInstances {
		return 0, 0, fmt.Errorf("spark.executor.instances=%d is more than the %d executors a run may have", instances, MaxExecutorInstances)
	}
	cores, err = IntProp(eff, "spark.executor.cores", 1)
	if err != nil {
		return 0, 0, err
	}
	if cores > MaxExecutorCores {
		return 0, 0, fmt.Errorf("spark.executor.cores=%d is more than the %d cores an executor may have", cores, MaxExecutorCores)
	}
	return instances, cores, nil
}
