// Package cost prices what job runs used: it turns metered pods (Usage) and
// the nodes they ran on (Node) into chargeback reports, exactly to the
// second, with no sampling. It is pure: no I/O but reading a pricing file,
// no clock (callers pass "now"), no store. Exports live in cost/export.
//
// # The model
//
// It follows OpenCost's allocation model (shared/reference/cost-allocation.md
// §1), computed from exact pod lifetimes instead of 5-minute samples (§5.1):
//
//	hours        = |[start, end) ∩ [from, to)| / 3600 s      end zero: running, metered up to now
//	cpu charged  = max(cpu request, cpu used)                cores; request alone without usage
//	mem charged  = max(mem request, mem used) / 2^30         GiB
//	cpu cost     = cpu charged × hours × cpu unit price      $/vCPU-hour
//	mem cost     = mem charged × hours × mem unit price      $/GiB-hour
//	uplift       = (cpu request × $/vCPU-h + mem request/2^30 × $/GB-h) × hours   optional, §2.2
//	total        = cpu cost + mem cost + uplift
//
// Unit prices split a node's hourly price the OpenCost way (§1.2 item 2,
// costmodel.go): with r = fallback $/vCPU-h ÷ fallback $/GiB-h (OpenCost's
// default CPU:RAM weighting, 0.031611/0.004237 ≈ 7.4607),
//
//	mem unit price = hourly / (vCPU × r + GiB)      cpu unit price = mem unit price × r
//
// so cpu unit price × vCPU + mem unit price × GiB = hourly, and pods sharing a
// node pay for their own requests only. An m5.xlarge ($0.192, 4 vCPU, 16 GiB)
// comes to $0.031247/vCPU-h and $0.004188/GiB-h.
//
// Where the price comes from, in order (§3): Fargate pods use the pricing's
// Fargate rates on the Fargate-provisioned size (requests + 256 MiB rounded
// up to a supported vCPU/memory combination, see FargateSize); a listed
// instance type its on-demand or spot price (spot without a listed price:
// on-demand × spotFraction, flagged spot-estimate); anything else the
// fallback per-vCPU-hour and per-GiB-hour prices, flagged fallback-price.
//
// Efficiency (§1.4), when usage was measured: cpu used ÷ cpu requested and
// mem used ÷ mem requested (core-hour and byte-hour weighted over a group),
// and their cost-weighted mean.
//
// # Idle
//
// Idle cost (§1.3) is the part of a node's price in the window that no
// metered pod was charged for, per resource: node cpu cost − Σ pods' cpu cost,
// and the same for memory, never below zero (such rows are flagged
// overallocated). It includes capacity the kubelet reserves and anything
// sparkplane did not create. Idle is reported in rows of its own (their
// non-node dimensions read "__idle__") and never spread over allocations.
// Runs whose grouping tag is missing are grouped under "__unallocated__".
//
// # Reports
//
// Aggregator (and Aggregate over an iterator) streams Usage records into
// groups by any of the dimensions of a Query (job run, virtual cluster, a tag
// of the run or its virtual cluster, component, capacity type, UTC day,
// instance type, namespace, node, zone, pod); memory grows with the number of
// groups and nodes, not records (BenchmarkReport: 10,000,000 records by
// virtual cluster and day allocate 2 MB). Aggregators fed shares of the
// records can be merged (Merge). Records are cut at UTC midnights when
// grouping by day, so a pod running across midnight is charged to both days.
//
// # Daily rollups
//
// Cost is linear in charged core-seconds and GiB-seconds at a node's unit
// prices, so stores sum finished records per UTC day and price key as they
// write them (Usage.DayShares into DailySums, and per node into NodeDaily),
// and Build prices those sums when a report asks: the whole days of a
// window read thousands of rollup rows instead of millions of records; the
// partial days at its ends and the pods still running read their records.
// Reports by job run, node or pod read the records of the window.
package cost
