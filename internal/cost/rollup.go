package cost

import (
	"time"
)

// Daily rollups: a pod's cost is linear in its charged core-seconds and
// GiB-seconds at its node's unit prices, so what finished pods used can be
// summed per UTC day and per price key when they are recorded, and priced
// when a report asks (with the pricing of that moment). DayShares says what
// one finished record adds to the rollups; Build reads them back.

// DailyKey is what a daily rollup row is kept by: the day and every record
// field a report by virtual cluster, tag, component, capacity type, day,
// instance type, namespace or zone groups, filters or prices by. Records
// are kept by the tag set of their job run; the rollup's readers fill in
// the tags of the set (RunTags) and the current tags of the virtual
// cluster (VirtualClusterTags).
type DailyKey struct {
	Day              int64 // days since 1970-01-01, UTC
	VirtualClusterID string
	Namespace        string
	Component        Component
	InstanceType     string
	CapacityType     CapacityType
	Zone             string
}

// DailySums is what the finished records of one rollup key charged over
// one day. Every field is a sum, so contributions can be added and taken
// away (a record re-recorded, a job run retagged).
type DailySums struct {
	// Pods counts the records whose life overlaps the day, PodsStarted those
	// of them that started on the day (a report not by day counts a record
	// once, on the day it starts in the window).
	Pods, PodsStarted int64
	// AboveRequest counts the records that used more than they requested;
	// Measured those that had usage measured.
	AboveRequest, Measured int64
	// CPUSeconds and GiBSeconds are charged (max(request, used), Fargate's
	// size on Fargate) core-seconds and GiB-seconds; RequestCPUSeconds and
	// RequestGiBSeconds requested ones (the uplift's meter).
	CPUSeconds, GiBSeconds               float64
	RequestCPUSeconds, RequestGiBSeconds float64
	// For the records with usage measured only: charged, requested and used
	// core-seconds and GiB-seconds (efficiency).
	MeasuredCPUSeconds, MeasuredGiBSeconds               float64
	MeasuredRequestCPUSeconds, MeasuredRequestGiBSeconds float64
	UsedCPUSeconds, UsedGiBSeconds                       float64
}

// Fields are pointers to the sums in a fixed order (counts first, then
// seconds), for stores to scan into and write from.
func (s *DailySums) Fields() []any {
	return []any{&s.Pods, &s.PodsStarted, &s.AboveRequest, &s.Measured,
		&s.CPUSeconds, &s.GiBSeconds, &s.RequestCPUSeconds, &s.RequestGiBSeconds,
		&s.MeasuredCPUSeconds, &s.MeasuredGiBSeconds, &s.MeasuredRequestCPUSeconds, &s.MeasuredRequestGiBSeconds,
		&s.UsedCPUSeconds, &s.UsedGiBSeconds}
}

// Values are the sums in the order of Fields.
func (s *DailySums) Values() []any {
	return []any{s.Pods, s.PodsStarted, s.AboveRequest, s.Measured,
		s.CPUSeconds, s.GiBSeconds, s.RequestCPUSeconds, s.RequestGiBSeconds,
		s.MeasuredCPUSeconds, s.MeasuredGiBSeconds, s.MeasuredRequestCPUSeconds, s.MeasuredRequestGiBSeconds,
		s.UsedCPUSeconds, s.UsedGiBSeconds}
}

// Add adds sign × o to s (sign is 1 or -1).
func (s *DailySums) Add(o *DailySums, sign int64) {
	f := float64(sign)
	s.Pods += sign * o.Pods
	s.PodsStarted += sign * o.PodsStarted
	s.AboveRequest += sign * o.AboveRequest
	s.Measured += sign * o.Measured
	s.CPUSeconds += f * o.CPUSeconds
	s.GiBSeconds += f * o.GiBSeconds
	s.RequestCPUSeconds += f * o.RequestCPUSeconds
	s.RequestGiBSeconds += f * o.RequestGiBSeconds
	s.MeasuredCPUSeconds += f * o.MeasuredCPUSeconds
	s.MeasuredGiBSeconds += f * o.MeasuredGiBSeconds
	s.MeasuredRequestCPUSeconds += f * o.MeasuredRequestCPUSeconds
	s.MeasuredRequestGiBSeconds += f * o.MeasuredRequestGiBSeconds
	s.UsedCPUSeconds += f * o.UsedCPUSeconds
	s.UsedGiBSeconds += f * o.UsedGiBSeconds
}

// IsZero: every sum is zero (a delta that changes nothing).
func (s *DailySums) IsZero() bool { return *s == DailySums{} }

// DailyUsage is one row of the daily rollups, as a report reads it.
type DailyUsage struct {
	DailyKey
	RunTags            map[string]string
	VirtualClusterTags map[string]string
	DailySums
}

// NodeDailyKey keys what pods were charged on a node on a day, by the
// instance and capacity type their records name (which price them).
type NodeDailyKey struct {
	Day          int64
	Node         string
	InstanceType string
	CapacityType CapacityType
}

// NodeDaily is what the finished records of pods on a node charged on a
// day, for its idle cost: charged core-seconds and GiB-seconds.
type NodeDaily struct {
	NodeDailyKey
	CPUSeconds, GiBSeconds float64
}

// DayShare is what a finished record adds to the rollups of one day.
type DayShare struct {
	Day  int64
	Sums DailySums
}

// Key is the rollup key of u on a day.
func (u *Usage) Key(day int64) DailyKey {
	return DailyKey{Day: day, VirtualClusterID: u.VirtualClusterID, Namespace: u.Namespace, Component: u.Component,
		InstanceType: u.InstanceType, CapacityType: u.CapacityType, Zone: u.Zone}
}

// ChargesNode: u's charges count against its node's idle cost (it names a
// node that is not Fargate's).
func (u *Usage) ChargesNode() bool { return u.Node != "" && u.CapacityType != Fargate }

// DayShares is what a finished record adds to the daily rollups, one share
// per UTC day its life overlaps; nothing for a record still running (the
// rollups hold finished records only) or of no length.
func (u *Usage) DayShares() []DayShare {
	if u.End.IsZero() || !u.End.After(u.Start) {
		return nil
	}
	m := u.amounts()
	var shares []DayShare
	for start := u.Start; start.Before(u.End); {
		day := dayOf(start)
		next := time.Unix((day+1)*secondsPerDay, 0)
		if next.After(u.End) {
			next = u.End
		}
		sec := next.Sub(start).Seconds()
		s := DailySums{Pods: 1, CPUSeconds: m.cpu * sec, GiBSeconds: m.memGiB * sec,
			RequestCPUSeconds: m.reqCPU * sec, RequestGiBSeconds: m.reqGiB * sec}
		if start.Equal(u.Start) {
			s.PodsStarted = 1
		}
		if m.above {
			s.AboveRequest = 1
		}
		if m.measured {
			s.Measured = 1
			s.MeasuredCPUSeconds, s.MeasuredGiBSeconds = s.CPUSeconds, s.GiBSeconds
			s.MeasuredRequestCPUSeconds, s.MeasuredRequestGiBSeconds = s.RequestCPUSeconds, s.RequestGiBSeconds
			s.UsedCPUSeconds, s.UsedGiBSeconds = m.usedCPU*sec, m.usedGiB*sec
		}
		shares = append(shares, DayShare{Day: day, Sums: s})
		start = next
	}
	return shares
}

// amounts are what a record is charged for per hour of its life, before
// any price: they depend on the record alone.
type amounts struct {
	cpu, memGiB      float64 // charged: cores, GiB
	reqCPU, reqGiB   float64 // requested
	usedCPU, usedGiB float64 // used, when measured
	measured, above  bool
}

func (u *Usage) amounts() amounts {
	req := u.Request
	charged := req
	var m amounts
	if u.CapacityType == Fargate {
		charged = FargateSize(req)
	} else if u.Used != nil {
		if u.Used.CPU > charged.CPU {
			charged.CPU = u.Used.CPU
			m.above = true
		}
		if u.Used.Memory > charged.Memory {
			charged.Memory = u.Used.Memory
			m.above = true
		}
	}
	m.cpu, m.memGiB = charged.CPU, float64(charged.Memory)/gib
	m.reqCPU, m.reqGiB = req.CPU, float64(req.Memory)/gib
	if u.Used != nil {
		m.measured = true
		m.usedCPU, m.usedGiB = u.Used.CPU, float64(u.Used.Memory)/gib
	}
	return m
}

// DayStart is the UTC midnight that starts a day (days since 1970-01-01).
func DayStart(day int64) time.Time { return time.Unix(day*secondsPerDay, 0).UTC() }

// DayOf is the day (since 1970-01-01, UTC) that t falls in.
func DayOf(t time.Time) int64 { return dayOf(t) }
