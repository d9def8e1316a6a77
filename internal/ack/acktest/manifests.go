// Package acktest holds the manifests of ACK's EMR on EKS documentation
// and tests (names, cluster, role and release filled in), for the tests of
// package ack and of the embedded cluster.
package acktest

import (
	"strconv"
	"strings"
)

// ReleaseLabel is the release of JobRun's manifests.
const ReleaseLabel = "emr-7.2.0-latest"

// VirtualCluster is the VirtualCluster manifest "my-ack-vc" on the
// container provider "dev" and namespace ns, tagged Environment: dev,
// Team: data-engineering and Owner: finops.
func VirtualCluster(ns string) string {
	return `apiVersion: emrcontainers.services.k8s.aws/v1alpha1
kind: VirtualCluster
metadata:
  name: my-ack-vc
spec:
  name: my-ack-vc
  containerProvider:
    id: dev
    type_: EKS
    info:
      eksInfo:
        namespace: ` + ns + `
  tags:
    Environment: dev
    Team: data-engineering
    Owner: finops
`
}

// JobRun is the JobRun manifest of pi.py named name in the VirtualCluster
// "my-ack-vc", with the entry point's arguments args, and with the persistent
// app UI on and, when logURI is set, its logs in S3 under it.
func JobRun(name string, args []string, logURI string) string {
	quoted := make([]string, len(args))
	for i, a := range args {
		quoted[i] = strconv.Quote(a)
	}
	doc := `apiVersion: emrcontainers.services.k8s.aws/v1alpha1
kind: JobRun
metadata:
  name: ` + name + `
spec:
  name: ` + name + `
  virtualClusterRef:
    from:
      name: my-ack-vc
  executionRoleARN: arn:aws:iam::123456789012:role/emr-job
  releaseLabel: ` + ReleaseLabel + `
  jobDriver:
    sparkSubmitJobDriver:
      entryPoint: "local:///usr/lib/spark/examples/src/main/python/pi.py"
      entryPointArguments: [` + strings.Join(quoted, ", ") + `]
      sparkSubmitParameters: "--conf spark.executor.instances=2 --conf spark.executor.memory=1G --conf spark.executor.cores=1 --conf spark.driver.cores=1"
  configurationOverrides: |
    ApplicationConfiguration: null
    MonitoringConfiguration:
      PersistentAppUI: ENABLED
`
	if logURI != "" {
		doc += "      S3MonitoringConfiguration:\n        LogUri: " + logURI + "\n"
	}
	return doc
}
