// Package devcluster tests the whole EMR-on-EKS flow on sparkplane's
// embedded Kubernetes cluster: `sparkplane dev-cluster up` (real etcd,
// kube-apiserver, kube-controller-manager and the node agent running pods
// as host processes), a `sparkplane server` that registers it as cluster
// "dev", and the AWS CLI starting the EMR examples, whose job runner,
// driver and executor pods really run Apache Spark. The tests need root
// (pods get their own mount and UTS namespaces).
package devcluster
