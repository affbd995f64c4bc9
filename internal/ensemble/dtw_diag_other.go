//go:build !amd64

package ensemble

// dtwDiag computes one anti-diagonal of the recurrence; see dtwDiagGo.
func dtwDiag(out, x, y, aa, bb []float64) float64 { return dtwDiagGo(out, x, y, aa, bb) }
