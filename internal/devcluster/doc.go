// Package devcluster runs sparkplane's embedded Kubernetes cluster: a real
// etcd, kube-apiserver and kube-controller-manager (package controlplane)
// plus the node agent (package nodeagent) that runs pods as host processes,
// so the EMR-on-EKS flow — job runner, spark-submit in cluster mode, driver
// and executor pods — runs unmodified on one machine with no container
// runtime.
//
// Supervise is the long-running process (`sparkplane dev-cluster up` starts
// it in the background); Up, Down and Status drive it from the command line
// through the files in its folder.
package devcluster
