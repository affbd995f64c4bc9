package server

import (
	"encoding/json"
	"net/http"

	"github.com/quantops/quant/internal/problem"
)

// writeError answers with the problem that err maps to (problem.Write,
// under this request's id). Errors of no known kind are logged and
// answered with a bare 500: their text never reaches the client.
func (s *Server) writeError(w http.ResponseWriter, r *http.Request, err error) {
	problem.Write(w, r, s.cfg.Logger, requestID(r.Context()), err)
}

// writeJSON answers 200 with v.
func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(v)
}
