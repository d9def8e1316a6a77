package ack

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// The condition types ACK sets on the resources it manages.
const (
	// ConditionSynced is True once the resource exists in the API and its
	// status reflects it.
	ConditionSynced = "ACK.ResourceSynced"
	// ConditionTerminal is True when the resource cannot be reconciled
	// until its spec changes (the API refused it, say); its message says
	// why.
	ConditionTerminal = "ACK.Terminal"
	// ConditionRecoverable is True while an error that retrying may cure
	// stands in the way.
	ConditionRecoverable = "ACK.Recoverable"
	// ConditionReferencesResolved says whether the resources the spec
	// refers to (virtualClusterRef) were found and are ready.
	ConditionReferencesResolved = "ACK.ReferencesResolved"
)

// Condition is an ACK condition.
type Condition struct {
	Type               string       `json:"type"`
	Status             string       `json:"status"`
	LastTransitionTime *metav1.Time `json:"lastTransitionTime,omitempty"`
	Reason             *string      `json:"reason,omitempty"`
	Message            *string      `json:"message,omitempty"`
}

// Condition statuses.
const (
	statusTrue    = "True"
	statusFalse   = "False"
	statusUnknown = "Unknown"
)

// setCondition sets the condition of type typ in cs, keeping its
// transition time unless its status changes; message "" clears it.
func setCondition(cs []Condition, typ, status, message string, now metav1.Time) []Condition {
	var msg *string
	if message != "" {
		msg = &message
	}
	for i := range cs {
		if cs[i].Type != typ {
			continue
		}
		if cs[i].Status != status || cs[i].LastTransitionTime == nil {
			cs[i].LastTransitionTime = &now
		}
		cs[i].Status, cs[i].Message = status, msg
		return cs
	}
	return append(cs, Condition{Type: typ, Status: status, Message: msg, LastTransitionTime: &now})
}

// dropCondition removes the condition of type typ from cs.
func dropCondition(cs []Condition, typ string) []Condition {
	out := cs[:0]
	for _, c := range cs {
		if c.Type != typ {
			out = append(out, c)
		}
	}
	return out
}

// isTrue says whether cs holds condition typ with status True.
func isTrue(cs []Condition, typ string) bool {
	for _, c := range cs {
		if c.Type == typ {
			return c.Status == statusTrue
		}
	}
	return false
}

// terminal records that the resource cannot be reconciled as it is.
func terminal(cs []Condition, message string, now metav1.Time) []Condition {
	cs = setCondition(cs, ConditionTerminal, statusTrue, message, now)
	cs = dropCondition(cs, ConditionRecoverable)
	return setCondition(cs, ConditionSynced, statusFalse, "", now)
}

// recoverable records an error that the next attempt may not meet.
func recoverable(cs []Condition, message string, now metav1.Time) []Condition {
	cs = setCondition(cs, ConditionRecoverable, statusTrue, message, now)
	cs = dropCondition(cs, ConditionTerminal)
	return setCondition(cs, ConditionSynced, statusFalse, "", now)
}

// synced records that the resource is what the API holds.
func synced(cs []Condition, now metav1.Time) []Condition {
	cs = dropCondition(cs, ConditionTerminal)
	cs = dropCondition(cs, ConditionRecoverable)
	return setCondition(cs, ConditionSynced, statusTrue, "", now)
}
