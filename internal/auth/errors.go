package auth

import (
	"fmt"

	"github.com/sparkplane/sparkplane/internal/emr"
)

// The messages AWS services answer, which users search for and the SDKs
// match on.
const (
	msgMissingToken      = "Missing Authentication Token"
	msgSignatureMismatch = "The request signature we calculated does not match the signature you provided. " +
		"Check your AWS Secret Access Key and signing method. Consult the service documentation for details."
	msgInvalidToken = "The security token included in the request is invalid."
	msgExpiredToken = "The security token included in the request is expired"
)

func errMissingToken() *emr.Error {
	return &emr.Error{Code: emr.CodeMissingAuthToken, Message: msgMissingToken}
}

func errIncomplete(format string, args ...any) *emr.Error {
	return &emr.Error{Code: emr.CodeIncompleteSignature, Message: fmt.Sprintf(format, args...)}
}

func errInvalid(format string, args ...any) *emr.Error {
	return &emr.Error{Code: emr.CodeInvalidSignature, Message: fmt.Sprintf(format, args...)}
}

func errMismatch() *emr.Error {
	return &emr.Error{Code: emr.CodeInvalidSignature, Message: msgSignatureMismatch}
}

func errUnrecognized() *emr.Error {
	return &emr.Error{Code: emr.CodeUnrecognizedClient, Message: msgInvalidToken}
}

func errExpiredToken() *emr.Error {
	return &emr.Error{Code: emr.CodeExpiredToken, Message: msgExpiredToken}
}
