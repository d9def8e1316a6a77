// Package nodeagent is the node of sparkplane's embedded Kubernetes cluster:
// a virtual-kubelet provider that runs pods as host processes against a real
// kube-apiserver.
//
// Run registers one Ready node whose capacity is the host's, and then:
//
//   - schedules pods itself (no kube-scheduler runs): a pending pod with no
//     node is bound to this node when its requests fit and its nodeSelector
//     matches, else it is marked PodScheduled=False/Unschedulable with the
//     scheduler's usual message and retried when pods end (scheduler.go,
//     fit.go);
//   - gives each pod an IP from Config.PodCIDR (ipam.go), its volumes
//     materialised under the state directory (volumes.go, token.go), an
//     environment resolved after the IP is known (env.go, expand.go) and a
//     /etc/hosts naming the apiserver and every selector Service's running
//     pods, kept current from informers (hosts.go);
//   - runs each container as a process in its own mount and UTS namespaces
//     (package sandbox) with stdout and stderr in a log file that outlives
//     the pod, serves those logs through the kubelet API (logs.go) and
//     reports Kubernetes pod status (pod.go, status.go);
//   - serves the kubelet API (logs, exec, attach, port-forward, stats) to
//     the apiserver only: a client certificate of Config.KubeletClientCAFile
//     named Config.KubeletClientName is required (cert.go);
//   - on deletion sends SIGTERM to each container's process group, SIGKILL
//     after the grace period, and removes the pod as soon as its processes
//     have exited.
//
// When Run returns every pod process has been killed. Pods this node left
// Running when a previous agent stopped are marked Failed.
package nodeagent
