package emr

// The error codes of authentication and authorization failures. They are not
// in the emr-containers service model but are what every AWS JSON service
// answers when a caller cannot be authenticated or is not allowed; the AWS
// SDKs recognise them by name (for example InvalidSignatureException with a
// "Signature expired" message triggers their clock-skew correction). All of
// them are reported with HTTP status 403.
const (
	CodeMissingAuthToken    ErrorCode = "MissingAuthenticationTokenException"
	CodeIncompleteSignature ErrorCode = "IncompleteSignatureException"
	CodeInvalidSignature    ErrorCode = "InvalidSignatureException"
	CodeUnrecognizedClient  ErrorCode = "UnrecognizedClientException"
	CodeExpiredToken        ErrorCode = "ExpiredTokenException"
	CodeAccessDenied        ErrorCode = "AccessDeniedException"
)

// IsAuth reports whether c is an authentication or authorization failure
// (HTTP 403).
func (c ErrorCode) IsAuth() bool {
	switch c {
	case CodeMissingAuthToken, CodeIncompleteSignature, CodeInvalidSignature,
		CodeUnrecognizedClient, CodeExpiredToken, CodeAccessDenied:
		return true
	}
	return false
}
