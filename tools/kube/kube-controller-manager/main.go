// Command kube-controller-manager is the upstream Kubernetes controller
// manager (v1.34.2), built from the k8s.io/kubernetes Go module for
// sparkplane's tests.
package main

import (
	"os"

	"k8s.io/component-base/cli"
	"k8s.io/kubernetes/cmd/kube-controller-manager/app"
)

func main() {
	os.Exit(cli.Run(app.NewControllerManagerCommand()))
}
