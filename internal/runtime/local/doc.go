// Package local is the embedded runtime: it runs each job run as the real
// spark-submit of an installed Apache Spark, in Spark local mode sized from
// the run's executors and cores, as a child process group of its own.
//
// Everything about a run lives in its folder (<dir>/<virtual cluster>/<run>/):
// spark-defaults.conf, stdout, stderr, the process id, and the exit code the
// wrapping shell writes when spark-submit ends. Observations are read from
// there, so a restarted server re-adopts runs whose process still lives and
// finishes those that ended while it was down.
//
// Logs: while a run's attempt runs, its stdout and stderr are served from
// that folder (Logs), so only a server that sees the folder serves them;
// when it ends, CollectLogs puts them into the LogArchive (the store), from
// which every server serves them. The files stay in the folder.
package local
