package redis

import (
	"errors"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/quantops/quant/internal/quant"
)

func TestCodec(t *testing.T) {
	now := time.Unix(1_700_000_000, 123)
	e := &quant.CacheEntry{
		Result: &quant.Result{
			Analysis: quant.AnalysisEnsemble, Key: "ensemble/p?horizon=4", Body: []byte(`{"a":1}`),
			DatasetVersion: -3, ComputedAt: now, ComputeTime: 5 * time.Millisecond,
			RevalidateUntil: now.Add(66 * time.Minute), // the HTTP layer's stale-while-revalidate
		},
		FreshUntil: now.Add(time.Hour),
		StaleUntil: now.Add(25 * time.Hour),
	}
	b := encode(e)
	got, err := decode(b)
	if err != nil {
		t.Fatalf("decode(encode(e)) error %v", err)
	}
	if diff := cmp.Diff(e, got); diff != "" {
		t.Errorf("decode(encode(e)) mismatch (-want +got):\n%s", diff)
	}
	if n := len(b); n > len(e.Result.Body)+len(e.Result.Key)+len(e.Result.Analysis)+50 {
		t.Errorf("len(encode(e)) = %d, not compact", n)
	}

	other := append([]byte{}, b...)
	other[1] = formatVersion + 1
	tests := []struct {
		name string
		b    []byte
		want error
	}{
		{"empty", nil, errCorrupt},
		{"no magic", []byte("{}"), errCorrupt},
		{"other version", other, errFormat},
		{"truncated", b[:len(b)-1], errCorrupt},
		{"trailing bytes", append(append([]byte{}, b...), 0), errCorrupt},
		{"huge length", []byte{magic, formatVersion, 0xff, 0xff, 0xff, 0xff, 0x0f}, errCorrupt},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := decode(tt.b); !errors.Is(err, tt.want) {
				t.Errorf("decode(%q) error = %v, want %v", tt.b, err, tt.want)
			}
		})
	}
}
