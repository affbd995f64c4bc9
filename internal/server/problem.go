package server

import (
	"encoding/json"
	"errors"
	"net"
	"net/http"
	"os"
	"time"

	"github.com/quantops/quant/internal/problem"
	"github.com/quantops/quant/internal/quant"
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

// bodyReadError is what a failure to read a request body reads to the
// client, or nil if err is no read failure (a decoder's own complaint
// about the body's content): over its bound, a 413; past the connection's
// read deadline (ReadTimeout, or a handler's own), a 408; any other
// failure of the connection, a 400 that names the body but not the
// failure, whose text ("read tcp 127.0.0.1:8080->...") names the server's
// own sockets. within is the time the body had, for the 408's detail.
func bodyReadError(err error, within time.Duration) error {
	var mbe *http.MaxBytesError
	var ne net.Error
	switch {
	case errors.As(err, &mbe):
		return problem.WithDetail(problem.ErrTooLarge, "the body exceeds %d bytes", mbe.Limit)
	case errors.Is(err, os.ErrDeadlineExceeded), errors.As(err, &ne) && ne.Timeout():
		return problem.WithDetail(problem.ErrRequestTimeout, "the body did not arrive within %v", within)
	case errors.As(err, &ne):
		return quant.Invalid("body", "cannot be read: the connection failed before its end")
	}
	return nil
}
