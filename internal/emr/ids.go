package emr

import (
	"crypto/rand"
	"encoding/binary"
	"fmt"
	"math/big"
	"strings"
	"sync"
	"time"
)

const (
	base36 = "0123456789abcdefghijklmnopqrstuvwxyz"
	// VirtualClusterIDLen is the length of the ids EMR gives virtual clusters
	// (and, here, job templates and security configurations).
	VirtualClusterIDLen = 25
	// JobRunIDLen is the length of EMR job run ids: zero-padded base36 that
	// grows with time, which keeps them DNS-1123 safe for Kubernetes names.
	JobRunIDLen = 19
)

// NewResourceID returns a random lowercase base36 id of VirtualClusterIDLen chars.
func NewResourceID() string {
	var b [VirtualClusterIDLen]byte
	var r [VirtualClusterIDLen]byte
	if _, err := rand.Read(r[:]); err != nil {
		panic(fmt.Sprintf("crypto/rand: %v", err)) // never fails on Linux
	}
	for i := range b {
		b[i] = base36[int(r[i])%36]
	}
	return string(b[:])
}

// JobRunIDs hands out job run ids that increase with time and never repeat
// within a process: the millisecond clock in the high bits, random low bits,
// and a monotonic bump when two ids land on the same value.
type JobRunIDs struct {
	mu   sync.Mutex
	last *big.Int
}

// randomBits is how many low bits of a job run id are random: enough that two
// servers sharing a store do not collide within one millisecond.
const randomBits = 40

// Next returns a new job run id for the time now. Ids of one generator
// strictly increase, even when now stands still or goes back.
func (g *JobRunIDs) Next(now time.Time) string {
	var r [8]byte
	if _, err := rand.Read(r[:]); err != nil {
		panic(fmt.Sprintf("crypto/rand: %v", err))
	}
	// A time before 1970 (such as the zero time.Time) would give a negative
	// number, which renders with a '-'; count it as 0 instead.
	n := new(big.Int).SetInt64(max(now.UnixMilli(), 0))
	n.Lsh(n, randomBits)
	n.Or(n, new(big.Int).SetUint64(binary.BigEndian.Uint64(r[:])&(1<<randomBits-1)))

	g.mu.Lock()
	if g.last != nil && n.Cmp(g.last) <= 0 {
		n.Add(g.last, big.NewInt(1))
	}
	g.last = n
	g.mu.Unlock()

	s := n.Text(36)
	return strings.Repeat("0", JobRunIDLen-len(s)) + s
}

// Base36 encodes a role name the way the AWS CLI does for service account
// names: the bytes as one big-endian integer, written in base 36.
func Base36(s string) string {
	return new(big.Int).SetBytes([]byte(s)).Text(36)
}

// Partition, Region and Account place the ARNs a server hands out.
type Partition struct {
	Partition string // "aws"
	Region    string // "us-east-1"
	Account   string // 12 digits
}

// VirtualClusterARN returns the ARN of a virtual cluster.
func (p Partition) VirtualClusterARN(id string) string {
	return fmt.Sprintf("arn:%s:emr-containers:%s:%s:/virtualclusters/%s", p.Partition, p.Region, p.Account, id)
}

// JobRunARN returns the ARN of a job run.
func (p Partition) JobRunARN(virtualClusterID, id string) string {
	return p.VirtualClusterARN(virtualClusterID) + "/jobruns/" + id
}

// JobTemplateARN returns the ARN of a job template.
func (p Partition) JobTemplateARN(id string) string {
	return fmt.Sprintf("arn:%s:emr-containers:%s:%s:/jobtemplates/%s", p.Partition, p.Region, p.Account, id)
}

// SecurityConfigurationARN returns the ARN of a security configuration.
func (p Partition) SecurityConfigurationARN(id string) string {
	return fmt.Sprintf("arn:%s:emr-containers:%s:%s:/securityconfigurations/%s", p.Partition, p.Region, p.Account, id)
}

// EndpointARN returns the ARN of a managed endpoint.
func (p Partition) EndpointARN(virtualClusterID, id string) string {
	return p.VirtualClusterARN(virtualClusterID) + "/endpoints/" + id
}
