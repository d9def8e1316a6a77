package api

import (
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"

	"github.com/sparkplane/sparkplane/internal/emr"
)

// statusOf maps an AWS error code to the HTTP status the model gives it.
func statusOf(code emr.ErrorCode) int {
	switch code {
	case emr.CodeValidation, emr.CodeNotFound, emr.CodeThrottled:
		return http.StatusBadRequest // ResourceNotFoundException is 400 in this model
	case emr.CodeEKSThrottled:
		return http.StatusTooManyRequests
	default:
		if code.IsAuth() {
			return http.StatusForbidden
		}
		return http.StatusInternalServerError
	}
}

// writeError writes err as an AWS error. Errors that are not *emr.Error are
// internal: they are logged and reported without their text.
func writeError(w http.ResponseWriter, r *http.Request, log *slog.Logger, err error) {
	var e *emr.Error
	if !errors.As(err, &e) {
		log.Error("internal error", "method", r.Method, "path", r.URL.Path, "err", err)
		e = &emr.Error{Code: emr.CodeInternal, Message: "An internal error occurred; the server log has the details."}
	}
	if rec, ok := w.(*recorder); ok {
		rec.errMsg = e.Message
	}
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("X-Amzn-ErrorType", string(e.Code))
	w.WriteHeader(statusOf(e.Code))
	_ = json.NewEncoder(w).Encode(map[string]string{"__type": string(e.Code), "message": e.Message})
}
