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
// Verify's errors (all HTTP 403):
//
//	no signature at all              MissingAuthenticationTokenException  Missing Authentication Token
//	malformed Authorization header,  IncompleteSignatureException         says what is missing or malformed
//	  presign parameters, X-Amz-Date
//	host not signed                  IncompleteSignatureException         'Host' must be a 'SignedHeader' …
//	signature does not match         InvalidSignatureException            The request signature we calculated does not match …
//	scope: region, service, date,    InvalidSignatureException            Credential should be scoped to a valid region, not 'x' …
//	  terminator                                                           / … to correct service: 'emr-containers' …
//	signed too long ago / ahead      InvalidSignatureException            Signature expired: … / Signature not yet current: …
//	presigned URL expired            InvalidSignatureException            Signature expired: …
//	body hash differs                InvalidSignatureException            The provided 'x-amz-content-sha256' header does not match …
//	unknown access key, bad or       UnrecognizedClientException          The security token included in the request is invalid.
//	  missing session token
//	expired session                  ExpiredTokenException                The security token included in the request is expired
//
// The signing time must be within MaxSkew (5 min) of the clock for the
// header form; a presigned URL is valid from MaxSkew before its X-Amz-Date
// to X-Amz-Expires (at most a week) after it.
//
// Payload policy: a request's signature always covers the SHA-256 of its
// body. X-Amz-Content-Sha256, when sent, must equal that hash;
// UNSIGNED-PAYLOAD is accepted only when the body is empty, in either form,
// so that a leaked presigned URL cannot carry a body of the holder's choice.
//
// Secrets never appear in errors, logs, or a Principal's formatting.
package auth
