// Package local is the embedded runtime: it runs each job run as the real
// spark-submit of an installed Apache Spark, in Spark local mode sized from
// the run's executors and cores, as a child process group of its own.
//
// What the server trusts about a run lives in its run folder
// (<dir>/<virtual cluster>/<run>/): stdout, stderr, the process id, and the
// exit code the wrapping shell writes when spark-submit ends. Observations
// are read from there, so a restarted server re-adopts runs whose process
// still lives and finishes those that ended while it was down.
//
// Who a job runs as (runas.go): when the server runs as root
// (Options.Isolate), spark-submit runs as the Unix user of the run's
// execution role, in a working folder of its own under Options.WorkDir
// (its current directory and HOME, with spark-defaults.conf and the role's
// credentials file); the run folder, inside the 0700 data dir, is out of
// its reach, and the wrapping shell stays root. Otherwise the job runs as
// the server's user and its run folder is its working folder too. Either
// way its environment is Options.Env and the Spark, Java and Python
// variables, never the rest of the server's.
//
// S3 (Options.S3A): s3:// and s3a:// URIs go through Hadoop's S3A
// connector to the configured endpoint; a run whose role has a credentials
// file reads S3 with it (S3A's profile provider, the file named by
// AWS_CREDENTIAL_PROFILES_FILE and AWS_SHARED_CREDENTIALS_FILE), never with
// keys in its Spark properties or command line.
//
// Code in S3 (fetch.go): before spark-submit starts, the run's s3://
// code is downloaded with its execution role's credentials (Options.S3)
// into the code folder of its working folder, and spark-submit is given
// the local paths.
//
// Logs: while a run's attempt runs, its stdout and stderr are served from
// the run folder (Logs), so only a server that sees the folder serves them;
// when it ends, CollectLogs puts them into the LogArchive (the store), from
// which every server serves them. The files stay in the folder. With
// Options.Ship they are also shipped to the run's monitoringConfiguration
// destinations, in the layout of a Kubernetes run's driver (ship.go).
package local
