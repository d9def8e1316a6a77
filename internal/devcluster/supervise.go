package devcluster

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/netip"
	"os"
	"time"

	"github.com/sparkplane/sparkplane/internal/controlplane"
	"github.com/sparkplane/sparkplane/internal/nodeagent"
)

// ContextName is the kubeconfig context of the embedded cluster.
const ContextName = "sparkplane-dev"

// NodeName is the embedded cluster's one node.
const NodeName = "sparkplane-dev"

// apiServerPort is where pods expect the apiserver (kubernetes.default.svc:443).
const apiServerPort = 443

// Options configure Supervise.
type Options struct {
	Layout  Layout
	PodCIDR netip.Prefix
	Images  nodeagent.Images
	// S3Address is where the S3 server listens (a loopback address, which
	// pods reach too: they share the host's network); S3Bucket is the
	// bucket it has ready.
	S3Address, S3Bucket string
	// Labels are added to the node (e.g. an instance type for cost reports).
	Labels map[string]string
	// Progress receives one line per step.
	Progress func(format string, args ...any)
	Logger   *slog.Logger
}

// Supervise brings the embedded cluster up (its S3 server, control plane
// and node agent), publishes its state and keeps it running until ctx
// ends; then it stops the node agent (which kills every pod's processes),
// the control plane, the S3 server and the pod route, and withdraws the
// state.
func Supervise(ctx context.Context, o Options) (err error) {
	if os.Geteuid() != 0 {
		return errors.New("the embedded cluster runs each pod in its own mount and UTS namespaces and serves the apiserver on port 443, which needs root: run it as root (sudo)")
	}
	begin := time.Now()
	progress := o.Progress
	if progress == nil {
		progress = func(string, ...any) {}
	}
	if err := os.MkdirAll(o.Layout.Dir, 0o700); err != nil {
		return err
	}
	lock, err := lockMachine(o.Layout.Dir)
	if err != nil {
		return err
	}
	defer lock.Close()
	// Every process started from here on (control plane, pods) carries the
	// marker Down looks for.
	if err := os.Setenv(MarkerEnv, o.Layout.Dir); err != nil {
		return err
	}
	cidr, network, undoRoute := podNetwork(o.PodCIDR, progress)
	defer undoRoute()
	defer serviceNetwork(progress)() // servicenetwork.go
	apiIP, err := apiServerIP(cidr)
	if err != nil {
		return err
	}
	progress("pod network %s (%s); apiserver at %s:%d", cidr, network, apiIP, apiServerPort)
	// Published at once (not ready yet), so that down finds and stops a
	// supervisor still starting.
	pidStart, err := startTime(os.Getpid())
	if err != nil {
		return err
	}
	st := State{PID: os.Getpid(), PIDStart: pidStart, PodCIDR: cidr.String(), Network: network, Node: NodeName, StartedAt: begin.UTC()}
	if err := o.Layout.writeState(st); err != nil {
		return err
	}
	defer os.Remove(o.Layout.stateFile())

	s3, s3State, err := startS3(ctx, o)
	if err != nil {
		return err
	}
	defer func() {
		progress("stopping the S3 server")
		_ = s3.Stop()
	}()
	st.S3 = s3State
	if err := o.Layout.writeState(st); err != nil {
		return err
	}
	progress("S3 server at %s with bucket %s (credentials in %s)", s3State.Endpoint, s3State.Bucket, s3State.CredentialsFile)

	// The control plane outlives ctx's end only as long as stopping takes.
	cp, err := controlplane.Start(ctx, controlplane.Options{
		ControllerManager: true, Dir: o.Layout.ControlPlaneDir(), Address: apiIP.String(), Port: apiServerPort,
		ContextName: ContextName, Logf: progress,
	})
	if err != nil {
		return err
	}
	defer func() {
		progress("stopping the control plane")
		if stopErr := cp.Stop(); stopErr != nil && err == nil {
			err = stopErr
		}
	}()

	agentCtx, stopAgent := context.WithCancel(context.Background())
	defer stopAgent()
	ready := make(chan struct{})
	agentDone := make(chan error, 1)
	go func() {
		agentDone <- nodeagent.Run(agentCtx, nodeagent.Config{
			Kubeconfig: cp.KubeconfigPath, NodeName: NodeName, Labels: o.Labels,
			PodCIDR: cidr, APIServerIP: apiIP, APIServerPort: apiServerPort,
			StateDir: o.Layout.NodeDir(), Images: marked{o.Images, MarkerEnv + "=" + o.Layout.Dir}, KubeletAddress: "127.0.0.1:0",
			KubeletCertFile: cp.KubeletCertFile, KubeletKeyFile: cp.KubeletKeyFile, KubeletClientCAFile: cp.CAFile,
			Logger: o.Logger, Ready: ready,
		})
	}()
	select {
	case <-ready:
	case err := <-agentDone:
		return fmt.Errorf("node agent: %w", err)
	case <-ctx.Done():
		stopAgent()
		<-agentDone
		return ctx.Err()
	}
	progress("node %s Ready after %v", NodeName, time.Since(begin).Round(time.Millisecond))
	st.Ready, st.APIServer, st.Kubeconfig = true, cp.Host, cp.KubeconfigPath
	if err := o.Layout.writeState(st); err != nil {
		stopAgent()
		<-agentDone
		return err
	}
	progress("ready: kubeconfig %s", cp.KubeconfigPath)

	select {
	case <-ctx.Done():
		progress("stopping the node agent and every pod")
		stopAgent()
		return <-agentDone
	case err := <-agentDone:
		return fmt.Errorf("node agent stopped: %w", err)
	case <-s3.Done():
		stopAgent()
		<-agentDone
		return fmt.Errorf("the S3 server stopped (%v); its output is in %s", s3.Err(), o.Layout.S3LogFile())
	}
}
