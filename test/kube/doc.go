// Package kube tests the Kubernetes runtime against a real kube-apiserver,
// etcd and kube-controller-manager (internal/testenv/kubeenv), through the
// real AWS Go SDK. With no kubelet in that cluster, the tests play the
// kubelet and spark-submit: they create the driver pod and set pod phases,
// then assert on the objects the API server holds.
package kube
