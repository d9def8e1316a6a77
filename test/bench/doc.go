// Package bench holds the benchmarks whose figures BENCHMARKS.md records:
// API throughput and latency with the runtime stubbed out, and the overhead
// sparkplane adds to a real Spark job. Run them with `make bench`.
package bench
