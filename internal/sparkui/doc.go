// Package sparkui keeps the Spark UI of job runs after they end, as EMR's
// persistentAppUI does: every run with persistentAppUI not DISABLED writes
// its Spark event log; this package keeps those logs and shows them with
// Apache Spark's own History Server.
//
// Where event logs are: a local run's driver writes into its working
// folder; when the attempt ends, Keeper copies it into the server's
// storage (<dataDir>/eventlogs/<vc>/<run>/, 0700, files 0600) and, when the
// run has an s3MonitoringConfiguration.logUri, uploads it to
// <logUri>/<vcId>/jobs/<jobId>/sparklogs/, EMR's layout. A Kubernetes
// run's driver writes through S3A straight to that S3 folder (under the
// logUri, else under the server's sparkUI.eventLogUri).
//
// The History Server (historyserver.go) is org.apache.spark.deploy.history.HistoryServer
// of the installed Spark, one per sparkplane server, started on the first
// request, restarted if it died, stopped with the server. It reads a
// local folder only: UI (ui.go) places the event log of the run asked for
// there (copied from the server's storage, or downloaded from S3 with the
// run's execution-role credentials), waits until the History Server lists
// the application, and answers its URL. The History Server never gets S3
// credentials, and as root it runs as an unprivileged user (it parses what
// jobs wrote). It has no authentication: it listens on loopback unless
// configured otherwise.
package sparkui
