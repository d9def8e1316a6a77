// Command sparkplane is a self-hosted control plane for Apache Spark that
// speaks the Amazon EMR on EKS (emr-containers) API.
package main

import (
	"os"

	"github.com/sparkplane/sparkplane/internal/cli"
	"github.com/sparkplane/sparkplane/internal/nodeagent/sandbox"
)

func main() {
	sandbox.Init() // a pod container started by the node agent becomes its command here
	os.Exit(cli.Main(os.Args[1:]))
}
