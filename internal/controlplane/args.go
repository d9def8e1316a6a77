package controlplane

import (
	"fmt"
	"net"
	"path/filepath"
)

// etcdArgs serves etcd's client API at clientURL and its peer API at
// peerURL (both https://127.0.0.1:PORT) over TLS with certificates of
// etcd's CA, each accepting only clients with a certificate of that CA
// (--trusted-ca-file alone already requires one; --client-cert-auth says
// so): the apiserver and Start's health check on the client port, and no
// one on the peer port of this single member.
func etcdArgs(dir, clientURL, peerURL string) []string {
	f := func(name string) string { return filepath.Join(dir, name) }
	return []string{
		"--name=sparkplane",
		"--data-dir=" + f("etcd"),
		"--listen-client-urls=" + clientURL,
		"--advertise-client-urls=" + clientURL,
		"--cert-file=" + f(etcdServerCertFile),
		"--key-file=" + f(etcdServerKeyFile),
		"--client-cert-auth",
		"--trusted-ca-file=" + f(etcdCACertFile),
		"--listen-peer-urls=" + peerURL,
		"--initial-advertise-peer-urls=" + peerURL,
		"--initial-cluster=sparkplane=" + peerURL,
		"--peer-cert-file=" + f(etcdPeerCertFile),
		"--peer-key-file=" + f(etcdPeerKeyFile),
		"--peer-client-cert-auth",
		"--peer-trusted-ca-file=" + f(etcdCACertFile),
		"--logger=zap",
	}
}

func apiserverArgs(dir, etcdURL string, ip net.IP, port int) []string {
	f := func(name string) string { return filepath.Join(dir, name) }
	args := []string{
		"--etcd-servers=" + etcdURL,
		"--etcd-cafile=" + f(etcdCACertFile),
		"--etcd-certfile=" + f(etcdClientCertFile),
		"--etcd-keyfile=" + f(etcdClientKeyFile),
		"--bind-address=" + ip.String(),
		"--advertise-address=" + ip.String(),
		fmt.Sprintf("--secure-port=%d", port),
		"--cert-dir=" + f("apiserver-certs"),
		"--tls-cert-file=" + f(servingCertFile),
		"--tls-private-key-file=" + f(servingKeyFile),
		"--client-ca-file=" + f(caCertFile),
		"--token-auth-file=" + f(tokenFile),
		// The apiserver proves itself to kubelets with a certificate of the
		// cluster's CA, and verifies theirs with it (the node agent's is
		// Env.KubeletCertFile).
		"--kubelet-client-certificate=" + f(kubeletClientCertFile),
		"--kubelet-client-key=" + f(kubeletClientKeyFile),
		"--kubelet-certificate-authority=" + f(caCertFile),
		"--authorization-mode=Node,RBAC",
		"--service-account-issuer=https://kubernetes.default.svc.cluster.local",
		"--service-account-key-file=" + f(saPubFile),
		"--service-account-signing-key-file=" + f(saKeyFile),
		"--service-cluster-ip-range=" + ServiceClusterIPRange,
		"--allow-privileged=true",
		"--profiling=false",
		// Debian's etcd 3.4 lacks the progress notifications a watch-list
		// needs; with WatchList on, the apiserver answers a watch without
		// resourceVersion but with bookmarks (what Spark's fabric8 client
		// sends) with a 500 that fabric8 retries forever.
		"--feature-gates=WatchList=false",
	}
	if ip.IsLoopback() {
		// The "kubernetes" Endpoints would hold a loopback address, which
		// validation rejects; skip them instead of failing every 10 s.
		args = append(args, "--endpoint-reconciler-type=none")
	}
	return args
}

func controllerManagerArgs(dir, kubeconfig string) []string {
	f := func(name string) string { return filepath.Join(dir, name) }
	return []string{
		"--kubeconfig=" + kubeconfig,
		"--authentication-kubeconfig=" + kubeconfig,
		"--authorization-kubeconfig=" + kubeconfig,
		"--secure-port=0",
		"--leader-elect=false",
		"--use-service-account-credentials=true",
		"--root-ca-file=" + f(caCertFile),
		"--service-account-private-key-file=" + f(saKeyFile),
		"--cluster-signing-cert-file=" + f(caCertFile),
		"--cluster-signing-key-file=" + f(caKeyFile),
		"--service-cluster-ip-range=" + ServiceClusterIPRange,
		"--profiling=false",
		// The nodes of these clusters are agents on this host whose pods
		// are its processes: a lease renewed late means a busy machine, not
		// a lost node, and the default 50 s before marking the node
		// NotReady (and evicting its pods 5 minutes later) is too short on
		// a loaded 2-core machine.
		"--node-monitor-grace-period=3m",
	}
}
