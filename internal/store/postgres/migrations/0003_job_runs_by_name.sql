-- ListJobRuns filtered on a name (with or without states): that name's runs
-- of a virtual cluster in listing order, so a page reads about as many rows
-- as it returns instead of scanning the cluster's runs for matches (with
-- 1,000,000 runs: p50 42 ms before, see BENCHMARKS.md). Built inside the
-- migration's transaction, so writes to job_runs wait while it is built
-- (seconds for a million runs).
CREATE INDEX job_runs_by_name ON job_runs (virtual_cluster_id, name, created_at DESC, id DESC);
