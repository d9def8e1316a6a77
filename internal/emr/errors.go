package emr

import "fmt"

// ErrorCode is the AWS error type name a failure is reported as.
type ErrorCode string

// The error codes of the emr-containers service model.
const (
	CodeValidation   ErrorCode = "ValidationException"
	CodeNotFound     ErrorCode = "ResourceNotFoundException"
	CodeInternal     ErrorCode = "InternalServerException"
	CodeThrottled    ErrorCode = "RequestThrottledException"
	CodeEKSThrottled ErrorCode = "EKSRequestThrottledException"
)

// Error is a failure that callers report to API clients as it is: the code
// picks the AWS error type and HTTP status, the message is shown to the user.
type Error struct {
	Code    ErrorCode
	Message string
}

func (e *Error) Error() string { return string(e.Code) + ": " + e.Message }

// Validationf returns a ValidationException with a formatted message.
func Validationf(format string, args ...any) *Error {
	return &Error{Code: CodeValidation, Message: fmt.Sprintf(format, args...)}
}

// AccessDeniedf returns an AccessDeniedException with a formatted message.
func AccessDeniedf(format string, args ...any) *Error {
	return &Error{Code: CodeAccessDenied, Message: fmt.Sprintf(format, args...)}
}

// NotFoundf returns a ResourceNotFoundException with a formatted message.
func NotFoundf(format string, args ...any) *Error {
	return &Error{Code: CodeNotFound, Message: fmt.Sprintf(format, args...)}
}
