// Command adds3a installs the S3A connector (hadoop-aws and its AWS SDK
// bundle, from Maven Central) into the Spark whose folder (holding
// bin/spark-submit and jars/) it is given; scripts/setup.sh runs it. See
// sparkdist.AddS3A.
package main

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"syscall"

	"github.com/sparkplane/sparkplane/internal/sparkdist"
)

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: adds3a <spark home>")
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	log := slog.New(slog.NewTextHandler(os.Stdout, nil))
	if err := sparkdist.AddS3A(ctx, os.Args[1], log); err != nil {
		fmt.Fprintln(os.Stderr, "error:", err)
		os.Exit(1)
	}
}
