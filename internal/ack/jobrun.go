package ack

import (
	"context"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/emrcontainers"
	"github.com/aws/aws-sdk-go-v2/service/emrcontainers/types"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

// referenceRetry is how soon a run whose virtual cluster is not ready yet
// is looked at again.
const referenceRetry = 2 * time.Second

// syncJobRun starts the run a JobRun declares, follows it into the
// status, and cancels it when the JobRun is deleted. It returns how soon
// to look again (0: when the resource changes).
func (r *Reconciler) syncJobRun(ctx context.Context, k key) (time.Duration, error) {
	u, err := r.get(k)
	if u == nil || err != nil {
		return 0, err
	}
	var jr JobRun
	if err := decode(u, &jr); err != nil {
		r.opts.Logger.Error("ACK reconciler: unreadable JobRun", "err", err)
		return 0, nil
	}
	if jr.DeletionTimestamp != nil {
		return 0, r.finalizeJobRun(ctx, u, &jr)
	}
	if u, err = r.ensureFinalizer(ctx, JobRunResource, u, JobRunFinalizer); err != nil {
		return 0, err
	}
	now := metav1.Now()
	st := jr.Status
	if st.ID == nil {
		if isTrue(st.Conditions, ConditionTerminal) {
			return 0, nil // the spec is immutable: delete and apply it again
		}
		started, after, err := r.startJobRun(ctx, &jr, &st, now)
		if !started {
			if werr := writeStatus(ctx, r, JobRunResource, u, &st); werr != nil {
				return 0, werr
			}
			return after, err
		}
	}
	if ended(st.State) && isTrue(st.Conditions, ConditionSynced) {
		return 0, nil
	}
	out, err := r.opts.API.DescribeJobRun(ctx, &emrcontainers.DescribeJobRunInput{
		Id: st.ID, VirtualClusterId: aws.String(virtualClusterOf(st))})
	if err != nil {
		st.Conditions = recoverable(st.Conditions, apiMessage(err), now)
		if werr := writeStatus(ctx, r, JobRunResource, u, &st); werr != nil {
			return 0, werr
		}
		return 0, err
	}
	st.State = aws.String(string(out.JobRun.State))
	st.StateDetails = out.JobRun.StateDetails
	if st.StateDetails == nil && out.JobRun.FailureReason != "" {
		st.StateDetails = aws.String(string(out.JobRun.FailureReason))
	}
	st.Conditions = synced(st.Conditions, now)
	if err := writeStatus(ctx, r, JobRunResource, u, &st); err != nil {
		return 0, err
	}
	if ended(st.State) {
		return 0, nil
	}
	return r.opts.Poll, nil
}

// startJobRun resolves the run's virtual cluster and starts the run,
// recording its id and ARN in st. Not started: st says why, and after (or
// the error's backoff) is when to try again.
func (r *Reconciler) startJobRun(ctx context.Context, jr *JobRun, st *JobRunStatus, now metav1.Time) (started bool, after time.Duration, err error) {
	vcID, why, err := r.resolveVirtualCluster(ctx, jr)
	switch {
	case err != nil:
		st.Conditions = recoverable(st.Conditions, err.Error(), now)
		return false, 0, err
	case why != nil:
		st.Conditions = setCondition(st.Conditions, ConditionReferencesResolved, statusUnknown, why.msg, now)
		if why.terminal {
			st.Conditions = setCondition(st.Conditions, ConditionReferencesResolved, statusFalse, why.msg, now)
			st.Conditions = terminal(st.Conditions, why.msg, now)
			return false, 0, nil
		}
		st.Conditions = recoverable(st.Conditions, why.msg, now)
		return false, referenceRetry, nil
	}
	if jr.Spec.VirtualClusterRef != nil {
		st.Conditions = setCondition(st.Conditions, ConditionReferencesResolved, statusTrue, "", now)
	}
	in, err := StartJobRunInput(jr.Spec, vcID, string(jr.UID))
	if err != nil {
		st.Conditions = terminal(st.Conditions, err.Error(), now)
		return false, 0, nil
	}
	out, err := r.opts.API.StartJobRun(ctx, in)
	if err != nil {
		if errorCode(err) == "ValidationException" || errorCode(err) == "ResourceNotFoundException" {
			st.Conditions = terminal(st.Conditions, apiMessage(err), now)
			return false, 0, nil
		}
		st.Conditions = recoverable(st.Conditions, apiMessage(err), now)
		return false, 0, err
	}
	st.ID = out.Id
	st.ACKResourceMetadata = r.metadata(out.Arn)
	r.opts.Logger.Info("ACK reconciler: job run started", "namespace", jr.Namespace, "name", jr.Name, "virtualClusterId", vcID, "id", aws.ToString(out.Id))
	return true, 0, nil
}

// unresolved says why a reference does not resolve (yet).
type unresolved struct {
	msg      string
	terminal bool
}

// resolveVirtualCluster is the id of the run's virtual cluster: its
// virtualClusterID, or the status.id of the VirtualCluster its
// virtualClusterRef names.
func (r *Reconciler) resolveVirtualCluster(ctx context.Context, jr *JobRun) (string, *unresolved, error) {
	if id := aws.ToString(jr.Spec.VirtualClusterID); id != "" {
		return id, nil, nil
	}
	ref := jr.Spec.VirtualClusterRef
	if ref == nil || ref.From == nil || aws.ToString(ref.From.Name) == "" {
		return "", &unresolved{msg: "spec.virtualClusterID or spec.virtualClusterRef.from.name: required", terminal: true}, nil
	}
	ns := jr.Namespace
	if n := aws.ToString(ref.From.Namespace); n != "" {
		ns = n
	}
	name := *ref.From.Name
	u, err := r.opts.Client.Resource(VirtualClusterResource).Namespace(ns).Get(ctx, name, metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		return "", &unresolved{msg: fmt.Sprintf("spec.virtualClusterRef: VirtualCluster %s/%s does not exist (yet)", ns, name)}, nil
	}
	if err != nil {
		return "", nil, err
	}
	var vc VirtualCluster
	if err := decode(u, &vc); err != nil {
		return "", nil, err
	}
	if isTrue(vc.Status.Conditions, ConditionTerminal) {
		return "", &unresolved{msg: fmt.Sprintf("spec.virtualClusterRef: VirtualCluster %s/%s is terminal", ns, name), terminal: true}, nil
	}
	if vc.Status.ID == nil || vc.DeletionTimestamp != nil {
		return "", &unresolved{msg: fmt.Sprintf("spec.virtualClusterRef: VirtualCluster %s/%s is not ready (no status.id)", ns, name)}, nil
	}
	return *vc.Status.ID, nil, nil
}

// finalizeJobRun cancels the run of a deleted JobRun, unless it ended,
// then lets the JobRun go.
func (r *Reconciler) finalizeJobRun(ctx context.Context, u *unstructured.Unstructured, jr *JobRun) error {
	st := jr.Status
	if st.ID != nil && cancellable(st.State) {
		_, err := r.opts.API.CancelJobRun(ctx, &emrcontainers.CancelJobRunInput{
			Id: st.ID, VirtualClusterId: aws.String(virtualClusterOf(st))})
		switch errorCode(err) {
		case "":
			if err != nil {
				return err
			}
			r.opts.Logger.Info("ACK reconciler: job run cancelled", "namespace", jr.Namespace, "name", jr.Name, "id", *st.ID)
		case "ValidationException", "ResourceNotFoundException":
			// It ended meanwhile, or its virtual cluster is gone: nothing to cancel.
		default:
			return err
		}
	}
	return r.removeFinalizer(ctx, JobRunResource, u, JobRunFinalizer)
}

// ended says whether state is one a run never leaves.
func ended(state *string) bool {
	switch types.JobRunState(aws.ToString(state)) {
	case types.JobRunStateCompleted, types.JobRunStateFailed, types.JobRunStateCancelled:
		return true
	}
	return false
}

// cancellable says whether a run in state may be cancelled (as ACK's
// controller decides: not once it ended or is being cancelled).
func cancellable(state *string) bool {
	return !ended(state) && types.JobRunState(aws.ToString(state)) != types.JobRunStateCancelPending
}

// virtualClusterOf is the virtual cluster of the run st records, from its ARN.
func virtualClusterOf(st JobRunStatus) string {
	if st.ACKResourceMetadata == nil {
		return ""
	}
	return virtualClusterOfARN(aws.ToString(st.ACKResourceMetadata.ARN))
}
