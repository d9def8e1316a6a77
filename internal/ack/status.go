package ack

import (
	"encoding/json"
	"errors"
	"reflect"

	"github.com/aws/smithy-go"
)

// equalStatus compares two statuses as JSON values (numbers and times are
// compared by their text).
func equalStatus(a, b map[string]any) bool {
	ja, err1 := json.Marshal(a)
	jb, err2 := json.Marshal(b)
	if err1 != nil || err2 != nil {
		return false
	}
	var va, vb any
	_ = json.Unmarshal(ja, &va)
	_ = json.Unmarshal(jb, &vb)
	return reflect.DeepEqual(va, vb)
}

// errorCode is the AWS error code of err ("" for one that is not an API
// error: a transport failure, say).
func errorCode(err error) string {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		return ae.ErrorCode()
	}
	return ""
}

// apiMessage is the API's message of err (its code and message), else err's text.
func apiMessage(err error) string {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		return ae.ErrorCode() + ": " + ae.ErrorMessage()
	}
	return err.Error()
}
