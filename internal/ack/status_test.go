package ack

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

// A status written and read back (as the API server stores it: JSON) is
// the same status, so an unchanged status is never written again.
func TestStatusRoundTrip(t *testing.T) {
	now := metav1.NewTime(time.Date(2026, 12, 5, 1, 2, 3, 0, time.UTC))
	st := &JobRunStatus{ID: aws.String("run1"), State: aws.String("RUNNING"), StateDetails: aws.String("driver up"),
		ACKResourceMetadata: &ResourceMetadata{ARN: aws.String("arn:aws:emr-containers:us-east-1:123456789012:/virtualclusters/vc1/jobruns/run1"),
			OwnerAccountID: "123456789012", Region: "us-east-1", Partition: aws.String("aws")},
		Conditions: synced(nil, now)}
	obj, err := statusObject(st)
	if err != nil {
		t.Fatal(err)
	}
	js, err := json.Marshal(map[string]any{"apiVersion": Group + "/" + Version, "kind": "JobRun", "status": obj})
	if err != nil {
		t.Fatal(err)
	}
	var stored unstructured.Unstructured
	if err := json.Unmarshal(js, &stored.Object); err != nil {
		t.Fatal(err)
	}
	storedStatus, _, _ := unstructured.NestedMap(stored.Object, "status")
	if !equalStatus(storedStatus, obj) {
		t.Errorf("stored %v differs from written %v", storedStatus, obj)
	}
	var back JobRun
	if err := decode(&stored, &back); err != nil {
		t.Fatal(err)
	}
	if aws.ToString(back.Status.ID) != "run1" || virtualClusterOf(back.Status) != "vc1" || !isTrue(back.Status.Conditions, ConditionSynced) {
		t.Errorf("read back %+v", back.Status)
	}
	// A later pass that changes nothing keeps the transition time.
	again, _ := statusObject(&JobRunStatus{ID: st.ID, State: st.State, StateDetails: st.StateDetails, ACKResourceMetadata: st.ACKResourceMetadata,
		Conditions: synced(back.Status.Conditions, metav1.NewTime(now.Add(time.Minute)))})
	if !equalStatus(storedStatus, again) {
		t.Errorf("an unchanged status compares different: %v vs %v", storedStatus, again)
	}
	vc, err := statusObject(&VirtualClusterStatus{ID: aws.String("vc1")})
	if err != nil || vc["id"] != "vc1" {
		t.Errorf("virtual cluster status %v, %v", vc, err)
	}
}
