package cost

// FargateOverheadBytes is the memory EKS on Fargate adds to every pod for
// the kubelet, kube-proxy and containerd.
const FargateOverheadBytes = 256 << 20

// fargateSizes are the vCPU and memory combinations a Fargate pod can get
// (EKS User Guide, "Fargate Pod configuration"), memory in GiB.
var fargateSizes = []struct {
	cpu float64
	mem []float64
}{
	{0.25, []float64{0.5, 1, 2}},
	{0.5, span(1, 4, 1)},
	{1, span(2, 8, 1)},
	{2, span(4, 16, 1)},
	{4, span(8, 30, 1)},
	{8, span(16, 60, 4)},
	{16, span(32, 120, 8)},
}

func span(from, to, step float64) []float64 {
	var s []float64
	for v := from; v <= to; v += step {
		s = append(s, v)
	}
	return s
}

// FargateSize is the size Fargate provisions, and bills, for a pod with
// these effective requests: the requests plus 256 MiB of memory, rounded up
// to the smallest supported combination with at least that much CPU and
// memory. Requests above the largest size (16 vCPU, 120 GiB) are returned
// with the overhead added, unrounded.
func FargateSize(request Resources) Resources {
	need := float64(request.Memory+FargateOverheadBytes) / gib
	for _, s := range fargateSizes {
		if s.cpu < request.CPU {
			continue
		}
		for _, m := range s.mem {
			if m >= need {
				return Resources{CPU: s.cpu, Memory: int64(m * gib)}
			}
		}
	}
	return Resources{CPU: request.CPU, Memory: request.Memory + FargateOverheadBytes}
}
