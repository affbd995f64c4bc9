package ingest

import (
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// Records whose id, ticker or filing id no store can index are rejected,
// in both stores alike, with the record's line and the reason.
func TestRejectsOverlongIDAndTicker(t *testing.T) {
	long := strings.Repeat("abcdefghij", 13) // 130 bytes of id
	in := "transaction_date,owner,ticker,asset_description,asset_type,type,amount,comment,senator,ptr_link\n" +
		"01/06/2020,Self,AAPL,Apple,Stock,Purchase,Unknown,--,Ann Able,x\n" + // 2: good
		"01/06/2020,Self,AAPL,Apple,Stock,Purchase,Unknown,--," + long + ",x\n" + // 3: id too long
		"01/06/2020,Self," + strings.Repeat("X", 33) + ",Apple,Stock,Purchase,Unknown,--,Ann Able,x\n" + // 4: ticker too long
		"01/06/2020,Self,SPY160219P00180000,SPY put,Option,Purchase,Unknown,--,Ann Able,x\n" + // 5: a real 18-byte ticker
		"01/06/2020,Self,AAPL,Apple,Stock,Purchase,Unknown,--,Ann Able,https://e.invalid/ptr/" + strings.Repeat("f", 129) + "/\n" + // 6: filing id too long
		"01/06/2020,Self,AAPL,Apple,Stock,Purchase,Unknown,--,Ann Able,https://e.invalid/ptr/" + strings.Repeat("f", 128) + "/\n" // 7: the longest filing id
	p := &Parser{Now: func() time.Time { return vectorDay }}
	recs, sum := parseAll(t, p, "in.csv", []byte(in))
	var lines []int
	for _, r := range recs {
		lines = append(lines, r.Place.Line)
	}
	if diff := cmp.Diff([]int{2, 5, 7}, lines); diff != "" {
		t.Errorf("accepted lines (-want +got):\n%s", diff)
	}
	var rej []string
	for _, r := range sum.Rejects {
		rej = append(rej, r.Position()+" "+string(r.Reason))
	}
	if diff := cmp.Diff([]string{"line 3 bad_politician", "line 4 malformed_row", "line 6 malformed_row"}, rej); diff != "" {
		t.Errorf("rejects (-want +got):\n%s", diff)
	}
}

// removeParensReference is the first, quadratic removeParens: innermost
// pairs first, one rebuild of the string per ')'. The one-pass version
// must agree with it on every input.
func removeParensReference(s string) string {
	for {
		closeAt := strings.IndexByte(s, ')')
		if closeAt < 0 {
			return s
		}
		openAt := strings.LastIndexByte(s[:closeAt], '(')
		if openAt < 0 {
			s = s[:closeAt] + " " + s[closeAt+1:]
			continue
		}
		s = s[:openAt] + " " + s[closeAt+1:]
	}
}

func TestRemoveParensAgreesWithReference(t *testing.T) {
	fixed := []string{"", "a", "()", ")(", "a (b (c) d) e", "((a)", "(a))", "a ) (b)", "))((", "x (y", "Sen. A (R) (ret.)"}
	r := rand.New(rand.NewPCG(1, 2))
	const alphabet = "ab ()("
	for range 20000 {
		b := make([]byte, r.IntN(24))
		for i := range b {
			b[i] = alphabet[r.IntN(len(alphabet))]
		}
		fixed = append(fixed, string(b))
	}
	for _, s := range fixed {
		if got, want := removeParens(s), removeParensReference(s); got != want {
			t.Fatalf("removeParens(%q) = %q, want %q", s, got, want)
		}
	}
}
