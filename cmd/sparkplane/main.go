// Command sparkplane is a self-hosted control plane for Apache Spark that
// speaks the Amazon EMR on EKS (emr-containers) API.
package main

import (
	"os"

	"github.com/sparkplane/sparkplane/internal/cli"
)

func main() { os.Exit(cli.Main(os.Args[1:])) }
