package ensemble

// dtwDiag computes one anti-diagonal of the recurrence as dtwDiagGo does,
// two cells per instruction with SSE2 (part of every amd64): MINPD, SUBPD,
// MULPD and ADDPD round each lane exactly as the scalar operations do, and
// MINPD is the exact minimum here, with no NaN and no -0.
func dtwDiag(out, x, y, aa, bb []float64) float64 {
	n := len(out)
	x, y, aa, bb = x[:n+1], y[:n], aa[:n], bb[:n]
	if n == 0 {
		return dtwDiagGo(out, x, y, aa, bb)
	}
	return dtwDiagSSE2(&out[0], &x[0], &y[0], &aa[0], &bb[0], n)
}

// dtwDiagSSE2 is dtwDiag on n >= 1 cells; see dtw_diag_amd64.s.
//
//go:noescape
func dtwDiagSSE2(out, x, y, aa, bb *float64, n int) float64
