package cost

import (
	"errors"
	"fmt"
	"math"
	"strings"
	"time"
)

// ErrInvalidUsage: a Usage or Node record that cannot be priced (no start,
// end before start, negative or non-finite resources).
var ErrInvalidUsage = errors.New("invalid usage record")

// Component is the part of a job run a pod is, as in the
// emr-containers.amazonaws.com/component label.
type Component string

// Components.
const (
	ComponentSubmitter Component = "job.submitter" // the job runner pod (spark-submit)
	ComponentDriver    Component = "driver"
	ComponentExecutor  Component = "executor"
	ComponentLocal     Component = "local" // a local run: driver and executors in one process
)

// CapacityType is how a node is bought.
type CapacityType string

// Capacity types; an empty one is priced as on-demand.
const (
	OnDemand CapacityType = "on-demand"
	Spot     CapacityType = "spot"
	Fargate  CapacityType = "fargate"
)

// ParseCapacityType reads the capacity-type label values of Karpenter
// (on-demand, spot, reserved), EKS managed node groups (ON_DEMAND, SPOT,
// CAPACITY_BLOCK) and "fargate". Reserved capacity and capacity blocks are
// priced at on-demand list prices. An unknown value is an error.
func ParseCapacityType(s string) (CapacityType, error) {
	switch strings.ToLower(strings.ReplaceAll(s, "_", "-")) {
	case "":
		return "", nil
	case "on-demand", "ondemand", "reserved", "capacity-block":
		return OnDemand, nil
	case "spot":
		return Spot, nil
	case "fargate":
		return Fargate, nil
	}
	return "", fmt.Errorf("unknown capacity type %q", s)
}

// Node labels read by NodeInfoFromLabels.
const (
	LabelInstanceType      = "node.kubernetes.io/instance-type"
	LabelInstanceTypeBeta  = "beta.kubernetes.io/instance-type"
	LabelZone              = "topology.kubernetes.io/zone"
	LabelZoneBeta          = "failure-domain.beta.kubernetes.io/zone"
	LabelKarpenterCapacity = "karpenter.sh/capacity-type"
	LabelEKSCapacity       = "eks.amazonaws.com/capacityType"
	LabelEKSComputeType    = "eks.amazonaws.com/compute-type"
	computeTypeFargate     = "fargate"
)

// NodeInfo is what a node's labels say about its price.
type NodeInfo struct {
	InstanceType string
	CapacityType CapacityType
	Zone         string
}

// NodeInfoFromLabels reads the instance type, capacity type and zone from
// the well-known labels of a Kubernetes node (EKS, Karpenter, Fargate). An
// unknown capacity-type value reads as on-demand.
func NodeInfoFromLabels(labels map[string]string) NodeInfo {
	info := NodeInfo{InstanceType: labels[LabelInstanceType], Zone: labels[LabelZone]}
	if info.InstanceType == "" {
		info.InstanceType = labels[LabelInstanceTypeBeta]
	}
	if info.Zone == "" {
		info.Zone = labels[LabelZoneBeta]
	}
	for _, k := range []string{LabelKarpenterCapacity, LabelEKSCapacity} {
		if v, ok := labels[k]; ok {
			ct, err := ParseCapacityType(v)
			if err != nil {
				ct = OnDemand
			}
			info.CapacityType = ct
			break
		}
	}
	if labels[LabelEKSComputeType] == computeTypeFargate {
		info.CapacityType = Fargate
	}
	return info
}

// Resources is an amount of CPU and memory.
type Resources struct {
	CPU    float64 // cores
	Memory int64   // bytes
}

// Usage is one metered pod of a job run (or a local run's process): what it
// requested, where it ran and when.
type Usage struct {
	JobRunID         string
	VirtualClusterID string
	Attempt          int
	Pod              string
	// PodUID is the Kubernetes UID of the pod (empty for a local run); it
	// is kept for the record, not priced.
	PodUID       string
	Component    Component
	Namespace    string
	Node         string
	InstanceType string
	CapacityType CapacityType
	Zone         string
	// Request is what the pod requested (for Fargate: the pod's effective
	// requests, before Fargate's sizing). Limit is kept for the record; it
	// is not priced.
	Request Resources
	Limit   Resources
	// Used is the pod's average measured use over its life (CPU usage rate,
	// memory working set), nil when no metrics API was available. With it a
	// pod is charged max(Request, Used) and its efficiency is reported.
	Used *Resources
	// Start is when the pod was scheduled, End when it terminated; a zero
	// End is a pod still running, metered up to the report's "now".
	Start, End time.Time
	// RunTags and VirtualClusterTags are the tags of the job run and of its
	// virtual cluster, for grouping by tag (the run's tag wins).
	RunTags            map[string]string
	VirtualClusterTags map[string]string
}

// Validate reports a record that cannot be priced, wrapping ErrInvalidUsage.
func (u *Usage) Validate() error {
	if err := u.validate(); err != nil {
		return fmt.Errorf("pod %q of job run %q: %w: %s", u.Pod, u.JobRunID, ErrInvalidUsage, err)
	}
	return nil
}

type reason string

func (r reason) Error() string { return string(r) }

func (u *Usage) validate() error {
	if err := validInterval(u.Start, u.End); err != nil {
		return err
	}
	if err := validResources("request", u.Request); err != nil {
		return err
	}
	if err := validResources("limit", u.Limit); err != nil {
		return err
	}
	if u.Used != nil {
		return validResources("usage", *u.Used)
	}
	return nil
}

func validInterval(start, end time.Time) error {
	if start.IsZero() {
		return reason("no start time")
	}
	if !end.IsZero() && end.Before(start) {
		return reason("end before start")
	}
	return nil
}

func validResources(what string, r Resources) error {
	if math.IsNaN(r.CPU) || math.IsInf(r.CPU, 0) || r.CPU < 0 {
		return reason(fmt.Sprintf("%s cpu %v is not a finite number ≥ 0", what, r.CPU))
	}
	if r.Memory < 0 {
		return reason(fmt.Sprintf("%s memory %d is negative", what, r.Memory))
	}
	return nil
}

// Node is a node that metered pods ran on, over the time it was up, for
// idle cost. CPU and Memory are its allocatable resources; they price a node
// whose instance type is not in the pricing (fallback prices × allocatable);
// a listed instance type is priced at its hourly price.
type Node struct {
	Name         string
	InstanceType string
	CapacityType CapacityType
	Zone         string
	CPU          float64 // allocatable cores
	Memory       int64   // allocatable bytes
	// Start and End bound the time the node was up (End zero: still up).
	Start, End time.Time
}

// Validate reports a node that cannot be priced, wrapping ErrInvalidUsage.
func (n *Node) Validate() error {
	err := validInterval(n.Start, n.End)
	if err == nil {
		err = validResources("allocatable", Resources{CPU: n.CPU, Memory: n.Memory})
	}
	if err == nil && n.Name == "" {
		err = reason("no name")
	}
	if err != nil {
		return fmt.Errorf("node %q: %w: %s", n.Name, ErrInvalidUsage, err)
	}
	return nil
}
