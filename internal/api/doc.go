// Package api serves the emr-containers API (restJson1, 2020-10-01) over
// HTTP: routing on the model's paths, decoding and validating requests,
// encoding responses and errors exactly as the AWS SDKs and CLI expect them
// (error type in X-Amzn-ErrorType, a JSON message, the model's status codes).
//
// Handlers return (response, error); one wrapper writes both, so every
// failure leaves as a modeled AWS error and none as a bare 500.
package api
