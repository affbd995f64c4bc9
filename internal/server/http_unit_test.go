package server

import (
	"net/http/httptest"
	"testing"
)

func TestCheckQueryAcceptsWhatParses(t *testing.T) {
	for _, raw := range []string{"", "a=1", "a=1&b=%41&c=%e2%82%ac", "a", "a=&b", "&&a=1&", "a=x+y", "ids=a,b"} {
		if err := checkQuery(raw); err != nil {
			t.Errorf("checkQuery(%q) = %v, want nil", raw, err)
		}
	}
	if n := testing.AllocsPerRun(100, func() { checkQuery("ticker=AAPL&from=2020-01-01&limit=%31") }); n != 0 {
		t.Errorf("checkQuery allocates %v times, want 0", n)
	}
}

func TestAcceptedCoding(t *testing.T) {
	tests := []struct {
		accept string
		want   coding
	}{
		{"", identity},
		{"gzip", codingGzip},
		{"x-gzip", codingGzip},
		{"GZIP", codingGzip},
		{"zstd", codingZstd},
		{"gzip, deflate, br, zstd", codingZstd}, // curl --compressed: a tie, zstd
		{"gzip;q=1.0, zstd;q=0.5", codingGzip},
		{"gzip;q=0.5, zstd;q=0.8", codingZstd},
		{"gzip;q=0, zstd;q=0", identity},
		{"gzip;q=0", identity},
		{"*", codingZstd},
		{"*;q=0.1, zstd;q=0", codingGzip},
		{"gzip;q=abc", identity}, // malformed q: not acceptable
		{"identity", identity},
		{"br", identity},
		{"deflate ; q=0.9 , gzip ; q=0.8", codingGzip},
	}
	for _, tt := range tests {
		r := httptest.NewRequest("GET", "/", nil)
		if tt.accept != "" {
			r.Header.Set("Accept-Encoding", tt.accept)
		}
		if got := acceptedCoding(r); got != tt.want {
			t.Errorf("acceptedCoding(%q) = %q, want %q", tt.accept, codingName[got], codingName[tt.want])
		}
	}
}
