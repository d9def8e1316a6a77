// Command kubectl is the upstream Kubernetes client (v1.34.2), built from
// the k8s.io/kubectl Go module for sparkplane's tests, which apply
// manifests to the embedded cluster exactly as users do.
package main

import (
	"k8s.io/component-base/cli"
	"k8s.io/kubectl/pkg/cmd"
	"k8s.io/kubectl/pkg/cmd/util"
)

func main() {
	if err := cli.RunNoErrOutput(cmd.NewDefaultKubectlCommand()); err != nil {
		util.CheckErr(err)
	}
}
