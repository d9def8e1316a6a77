// Package api serves the emr-containers API (restJson1, 2020-10-01) over
// HTTP: routing on the model's paths, decoding and validating requests,
// encoding responses and errors exactly as the AWS SDKs and CLI expect them
// (error type in X-Amzn-ErrorType, a JSON message, the model's status codes).
//
// Handlers return (response, error); one wrapper writes both, so every
// failure leaves as a modeled AWS error and none as a bare 500.
//
// Bad input is bounded before it costs anything: request bodies are capped
// (LimitBodies, ReadBody) and must be UTF-8; list timestamps must be finite
// and nextTokens ones this server handed out; the request types of package
// emr bound what a request may carry; and a page of a listing is bounded in
// bytes as well as in items. Each refusal is a ValidationException naming
// the member at fault.
package api
