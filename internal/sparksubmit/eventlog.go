package sparksubmit

import (
	"strings"

	"github.com/sparkplane/sparkplane/internal/emr"
)

// EventLogFolder is the folder, under a run's log location, that holds its
// Spark event logs, as EMR lays them out:
// <logUri>/<vcId>/jobs/<jobId>/sparklogs/eventlog_v2_<appId>/….
const EventLogFolder = "sparklogs"

// eventLogPrefix is the prefix of the Spark properties that configure the
// event log.
const eventLogPrefix = "spark.eventLog."

// PersistentAppUI reports whether run keeps its Spark UI after it ends:
// monitoringConfiguration.persistentAppUI is ENABLED by default, as on EMR.
func PersistentAppUI(run *emr.JobRun) bool {
	co := run.ConfigurationOverrides
	return co == nil || co.MonitoringConfiguration == nil || co.MonitoringConfiguration.PersistentAppUI != "DISABLED"
}

// OwnEventLog reports whether eff (a run's effective properties, see
// Submission.Effective) sets any spark.eventLog.* property: the run
// configures its event log itself, and sparkplane adds nothing to it.
func OwnEventLog(eff map[string]string) bool {
	for k := range eff {
		if strings.HasPrefix(k, eventLogPrefix) {
			return true
		}
	}
	return false
}

// EventLogProperties are the Spark properties that make a driver write its
// event log into the folder dir (a URI Spark's file systems know:
// file:///…, s3a://…/): rolling event logs, which Spark writes as
// eventlog_v2_<appId>/events_<n>_<appId> beside an appstatus file, the
// layout EMR ships.
func EventLogProperties(dir string) map[string]string {
	return map[string]string{
		"spark.eventLog.enabled":         "true",
		"spark.eventLog.dir":             dir,
		"spark.eventLog.rolling.enabled": "true",
	}
}

// WithEventLog adds the properties of an event log written into dir to
// the submission's spark-defaults when run keeps its Spark UI and sets no
// spark.eventLog.* property itself; it reports whether it did.
func (s *Submission) WithEventLog(run *emr.JobRun, dir string) bool {
	if !PersistentAppUI(run) || OwnEventLog(s.Effective()) {
		return false
	}
	merged := make(map[string]string, len(s.Defaults)+3)
	for _, p := range s.Defaults {
		merged[p.Key] = p.Value
	}
	for k, v := range EventLogProperties(dir) {
		merged[k] = v
	}
	s.Defaults = sorted(merged)
	return true
}

// EventLogURI is where the event logs of job run jobID of virtual cluster
// vcID go under the log location base (a logUri, s3://bucket/prefix):
// <base>/<vcId>/jobs/<jobId>/sparklogs/. The scheme is kept.
func EventLogURI(base, vcID, jobID string) string {
	return strings.TrimSuffix(base, "/") + "/" + vcID + "/jobs/" + jobID + "/" + EventLogFolder + "/"
}

// S3AURI is uri (s3://, s3n:// or s3a://) with the s3a:// scheme, which
// Spark's event log writer and History Server reach through S3A whatever
// fs.s3.impl says.
func S3AURI(uri string) string {
	for _, scheme := range []string{"s3://", "s3n://"} {
		if rest, ok := strings.CutPrefix(uri, scheme); ok {
			return "s3a://" + rest
		}
	}
	return uri
}

// LogURI is the run's s3MonitoringConfiguration.logUri, "" when it has none.
func LogURI(run *emr.JobRun) string {
	co := run.ConfigurationOverrides
	if co == nil || co.MonitoringConfiguration == nil || co.MonitoringConfiguration.S3MonitoringConfiguration == nil {
		return ""
	}
	return co.MonitoringConfiguration.S3MonitoringConfiguration.LogURI
}
