// Package bench holds the benchmarks whose figures BENCHMARKS.md records:
// API throughput and latency with the runtime stubbed out, the overhead
// sparkplane adds to a real Spark job (pi.py, and a Parquet job reading
// ~1 GB from a local S3 server), and the latency of job run queries
// with a million runs in SQLite and in PostgreSQL. Run them with `make bench`.
package bench
