package ack

import (
	"context"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/emrcontainers"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// syncVirtualCluster creates the virtual cluster a VirtualCluster
// declares and deletes it when the VirtualCluster is deleted.
func (r *Reconciler) syncVirtualCluster(ctx context.Context, k key) (time.Duration, error) {
	u, err := r.get(k)
	if u == nil || err != nil {
		return 0, err
	}
	var vc VirtualCluster
	if err := decode(u, &vc); err != nil {
		r.opts.Logger.Error("ACK reconciler: unreadable VirtualCluster", "err", err)
		return 0, nil
	}
	if vc.DeletionTimestamp != nil {
		if vc.Status.ID != nil {
			_, err := r.opts.API.DeleteVirtualCluster(ctx, &emrcontainers.DeleteVirtualClusterInput{Id: vc.Status.ID})
			if err != nil && !gone(err) {
				// Its runs have not ended, say: retried until they have.
				st := vc.Status
				st.Conditions = recoverable(st.Conditions, apiMessage(err), metav1.Now())
				if werr := writeStatus(ctx, r, VirtualClusterResource, u, &st); werr != nil {
					return 0, werr
				}
				return 0, err
			}
			r.opts.Logger.Info("ACK reconciler: virtual cluster deleted", "namespace", vc.Namespace, "name", vc.Name, "id", *vc.Status.ID)
		}
		return 0, r.removeFinalizer(ctx, VirtualClusterResource, u, VirtualClusterFinalizer)
	}
	if u, err = r.ensureFinalizer(ctx, VirtualClusterResource, u, VirtualClusterFinalizer); err != nil {
		return 0, err
	}
	st := vc.Status
	if st.ID != nil || isTrue(st.Conditions, ConditionTerminal) {
		return 0, nil
	}
	now := metav1.Now()
	in, err := CreateVirtualClusterInput(vc.Spec, string(vc.UID))
	if err != nil {
		st.Conditions = terminal(st.Conditions, err.Error(), now)
		return 0, writeStatus(ctx, r, VirtualClusterResource, u, &st)
	}
	out, err := r.opts.API.CreateVirtualCluster(ctx, in)
	switch errorCode(err) {
	case "":
		if err != nil {
			st.Conditions = recoverable(st.Conditions, err.Error(), now)
			if werr := writeStatus(ctx, r, VirtualClusterResource, u, &st); werr != nil {
				return 0, werr
			}
			return 0, err
		}
	case "ValidationException", "ResourceNotFoundException", "InternalServerException":
		// The codes ACK's controller treats as terminal for a VirtualCluster.
		st.Conditions = terminal(st.Conditions, apiMessage(err), now)
		return 0, writeStatus(ctx, r, VirtualClusterResource, u, &st)
	default:
		st.Conditions = recoverable(st.Conditions, apiMessage(err), now)
		if werr := writeStatus(ctx, r, VirtualClusterResource, u, &st); werr != nil {
			return 0, werr
		}
		return 0, err
	}
	st.ID = out.Id
	st.ACKResourceMetadata = r.metadata(out.Arn)
	st.Conditions = synced(st.Conditions, now)
	r.opts.Logger.Info("ACK reconciler: virtual cluster created", "namespace", vc.Namespace, "name", vc.Name, "id", aws.ToString(out.Id))
	return 0, writeStatus(ctx, r, VirtualClusterResource, u, &st)
}

// gone says whether err says the virtual cluster does not exist.
func gone(err error) bool {
	return errorCode(err) == "ResourceNotFoundException" ||
		errorCode(err) == "ValidationException" && strings.Contains(apiMessage(err), "doesn't exist")
}
