package metrics

import (
	"net/http"
	"net/http/pprof"
)

// ProfilePath is the prefix under which a server serves Go's runtime
// profiles (heap, goroutines, CPU…) when metrics.profiling is on. The
// command line is not among them: it is the server's, not a profile.
const ProfilePath = "/debug/pprof/"

// ProfileHandler serves net/http/pprof's profiles under ProfilePath to the
// callers a lets in, the same callers as the metrics. A profile names the
// server's code and can stall it (a 30 s CPU profile), so it is off unless
// asked for, and never served to a caller the metrics refuse.
func ProfileHandler(a Access) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc(ProfilePath, pprof.Index)
	mux.HandleFunc(ProfilePath+"profile", pprof.Profile)
	mux.HandleFunc(ProfilePath+"symbol", pprof.Symbol)
	mux.HandleFunc(ProfilePath+"trace", pprof.Trace)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if code, msg := a.check(r); code != 0 {
			if code == http.StatusUnauthorized {
				w.Header().Set("WWW-Authenticate", `Bearer realm="sparkplane metrics"`)
				msg = "profiles need the bearer token of metrics.bearerTokenFile"
			} else {
				msg = "profiles are served to loopback only, or to callers with the token of metrics.bearerTokenFile"
			}
			http.Error(w, msg, code)
			return
		}
		mux.ServeHTTP(w, r)
	})
}
