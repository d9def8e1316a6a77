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
		if !a.refused(w, r, "profiles") {
			mux.ServeHTTP(w, r)
		}
	})
}
