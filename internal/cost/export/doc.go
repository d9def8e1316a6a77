// Package export writes cost reports (cost.Report) for people and tools: an
// aligned terminal table with totals, JSON for sparkplane's own API, and
// CSV and Parquet files for BI tools, with readers that load the CSV and
// Parquet files back.
//
// CSV and Parquet share one flat layout: a column per grouping dimension
// (job_run_id, virtual_cluster_id, tag_<key>, component, capacity_type,
// day, instance_type, namespace, node, zone, pod), then kind (allocation or
// idle), records, cpu_core_hours, memory_gib_hours, cpu_cost, memory_cost,
// uplift_cost, total_cost, cpu_efficiency, memory_efficiency,
// total_efficiency (empty/null when no usage was measured), flags
// (comma-separated), currency, window_start and window_end. Parquet files
// are snappy-compressed; day is a DATE there, the window bounds
// TIMESTAMP(MICROS, UTC), and the key-value metadata sparkplane.groupBy holds
// the exact dimension names.
package export
