package server

import (
	"net/http"
	"slices"
	"strings"
)

// CORS is off unless origins are configured: a browser page from another
// origin cannot read the API's answers. With Config.CORSOrigins, a request
// whose Origin is one of them (or any, for "*") gets the
// Access-Control-Allow-Origin header, and a preflight (OPTIONS with
// Access-Control-Request-Method) is answered 204 here, before routing.
// Credentials are never allowed: the API's tokens travel in the
// Authorization header, which a page must set itself.

// corsAllowed reports whether origin may read the API's answers.
func corsAllowed(origins []string, origin string) bool {
	return origin != "" && (slices.Contains(origins, "*") || slices.Contains(origins, origin))
}

// withCORS wraps next with the CORS headers of Config.CORSOrigins; with
// none it returns next unchanged.
func withCORS(origins []string, next http.Handler) http.Handler {
	if len(origins) == 0 {
		return next
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		origin := r.Header.Get("Origin")
		h := w.Header()
		h.Add("Vary", "Origin")
		if !corsAllowed(origins, origin) {
			next.ServeHTTP(w, r)
			return
		}
		allow := origin
		if slices.Contains(origins, "*") {
			allow = "*"
		}
		h.Set("Access-Control-Allow-Origin", allow)
		h.Set("Access-Control-Expose-Headers", "Location, Retry-After, X-Cache, Age, X-Dataset-Version, X-Request-ID, X-Job-Existing")
		if r.Method == http.MethodOptions && r.Header.Get("Access-Control-Request-Method") != "" {
			h.Set("Access-Control-Allow-Methods", "GET, HEAD, POST")
			h.Set("Access-Control-Allow-Headers", "Authorization, Content-Type, X-Request-ID")
			h.Set("Access-Control-Max-Age", "600")
			w.WriteHeader(http.StatusNoContent)
			return
		}
		next.ServeHTTP(w, r)
	})
}

// ParseCORSOrigins checks a list of origins ("https://app.example.com",
// or "*" for any): each must be a scheme and host without a path.
func ParseCORSOrigins(list []string) ([]string, error) {
	var out []string
	for _, o := range list {
		o = strings.TrimSpace(o)
		if o == "" {
			continue
		}
		if o != "*" {
			scheme, rest, ok := strings.Cut(o, "://")
			if !ok || (scheme != "http" && scheme != "https") || rest == "" || strings.ContainsAny(rest, "/?#") {
				return nil, &corsOriginError{o}
			}
		}
		out = append(out, o)
	}
	return out, nil
}

type corsOriginError struct{ origin string }

func (e *corsOriginError) Error() string {
	return "CORS origin " + e.origin + ": want scheme://host[:port] (https://app.example.com) or *"
}
