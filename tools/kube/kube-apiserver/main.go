// Command kube-apiserver is the upstream Kubernetes API server (v1.34.2),
// built from the k8s.io/kubernetes Go module for sparkplane's tests.
package main

import (
	"os"

	"k8s.io/component-base/cli"
	"k8s.io/kubernetes/cmd/kube-apiserver/app"
)

func main() {
	os.Exit(cli.Run(app.NewAPIServerCommand()))
}
