package e2e

import "errors"

// asErr reports whether err is, or wraps, a T.
func asErr[T error](err error, target *T) bool { return err != nil && errors.As(err, target) }
