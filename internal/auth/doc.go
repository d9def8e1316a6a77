// Package auth authenticates API callers by AWS Signature Version 4 against
// the credentials of an access file.
//
// The access file (see Load) lists IAM users with their long-term access
// keys, roles with the temporary credentials of their sessions, groups, and
// the IAM policy documents attached to them. It is reloaded when it changes
// (Access.Watch); a bad edit keeps the previous version.
//
// A Verifier checks a request's signature, in the Authorization header form
// or the presigned-URL (query) form, and answers the Principal that signed
// it, or an *emr.Error whose code and message are those AWS services answer,
// so that the AWS SDKs and CLI react to them as they do with AWS (for
// example, a "Signature expired" InvalidSignatureException makes them correct
// for clock skew).
//
// Signatures are recomputed with the AWS SDK for Go v2's signer rather than
// by hand: the request is cloned with only the headers the client signed,
// signed again with the caller's secret and the client's signing time, and
// the two signatures compared in constant time.
//
// Payload policy: a request's signature always covers the SHA-256 of its
// body. X-Amz-Content-Sha256, when sent, must equal that hash;
// UNSIGNED-PAYLOAD is accepted only when the body is empty, in either form,
// so that a leaked presigned URL cannot carry a body of the holder's choice.
//
// Secrets never appear in errors, logs, or a Principal's formatting.
package auth
