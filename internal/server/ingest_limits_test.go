package server

import (
	"net/http"
	"strings"
	"testing"

	"github.com/quantops/quant/internal/ingest"
	"github.com/quantops/quant/internal/inmem"
)

// Over HTTP a field past ingest.MaxFieldBytes or a record past
// ingest.MaxRecordBytes is a malformed_row at its place, naming the
// limit, and the rest of the body is stored (a 32 MiB field was stored).
func TestIngestSizeLimits(t *testing.T) {
	row := func(comment string) string {
		return "01/06/2020,Self,AAPL,Apple,Stock,Purchase,Unknown," + comment + ",Ann Able,https://example.org/ptr/" + comment[:1] + "/\n"
	}
	tests := []struct {
		name, ctype, body, detail string
		place                     string // the reject's place key
	}{
		{"csv field", "text/csv", ingestHeader + row(strings.Repeat("f", ingest.MaxFieldBytes+1)) + row("ok"), "past the field limit of 64 KiB", "line"},
		{"csv record", "text/csv", ingestHeader + row(`"`+strings.Repeat("r\n", ingest.MaxRecordBytes/2)+`"`) + row("ok"), "past the record limit", "line"},
		{"json element", "application/json", `[{"senator": "Ann Able", "transaction_date": "01/06/2020", "office": "` + strings.Repeat("o", ingest.MaxRecordBytes) + `"},
			{"senator": "Ann Able", "transaction_date": "01/06/2020"}]`, "past the record limit of 1 MiB", "index"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			st := inmem.New()
			h := New(Config{Store: st, IngestToken: "s3cret", MaxIngestBytes: 4 << 20}).Handler()
			w, m := ingestReq(t, h, "/api/v1/trades", tt.ctype, "s3cret", tt.body)
			rejects, _ := m["rejects"].([]any)
			if w.Code != http.StatusCreated || m["records"] != 1.0 || m["rejected"] != 1.0 || len(rejects) != 1 {
				t.Fatalf("ingest = %d %v; want 201, 1 record, 1 rejected", w.Code, m)
			}
			rej := rejects[0].(map[string]any)
			if rej["reason"] != "malformed_row" || rej[tt.place] != 1.0+map[string]float64{"line": 1, "index": 0}[tt.place] || !strings.Contains(rej["detail"].(string), tt.detail) {
				t.Errorf("reject = %v; want malformed_row at its %s, the detail naming %q", rej, tt.place, tt.detail)
			}
		})
	}
}
