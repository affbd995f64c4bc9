package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/quantops/quant/internal/ingest"
)

// TestE2EIngestStoreCrash: POST /api/v1/trades tells its outcome when the
// store fails under it. PostgreSQL's connections are cut in the middle of
// the import (the server's sockets closed, as when it crashes): the answer
// is a 503 with Retry-After saying nothing was stored, and nothing was (no
// trade, no import, the version unmoved). A client that goes away in the
// middle stores nothing either. When the store is back, the same request
// stores the file once (201) and once more is refused as already stored
// (409): repeating the request after a 503 is safe.
func TestE2EIngestStoreCrash(t *testing.T) {
	dbURL := testDatabase(t)
	u, _ := url.Parse(dbURL)
	px := newProxy(t, u.Host)
	u.Host = px.addr
	const app = "quant-e2e-ingest-crash"
	q := u.Query()
	q.Set("application_name", app)
	u.RawQuery = q.Encode()
	api := startServer(t, []string{"QUANT_DATABASE_URL=" + u.String()}, "--ingest-token", "in-tok")

	// About 10 MB of House JSON: its COPY takes long enough to be caught.
	var body bytes.Buffer
	const records = 30000
	if err := ingest.Generate(&body, ingest.GenConfig{Format: ingest.GenHouseJSON, Politicians: 50, Trades: records, Seed: 3}); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	watch, err := pgx.Connect(ctx, dbURL) // straight to the server, not through the proxy
	if err != nil {
		t.Fatal(err)
	}
	defer watch.Close(ctx)
	type stored struct {
		version         int64
		trades, imports int
	}
	state := func() stored {
		t.Helper()
		var s stored
		if err := watch.QueryRow(ctx, `SELECT version, (SELECT count(*) FROM trades), (SELECT count(*) FROM imports) FROM dataset`).
			Scan(&s.version, &s.trades, &s.imports); err != nil {
			t.Fatalf("read the stored state: %v", err)
		}
		return s
	}
	// copying waits until the server's import is in its COPY.
	copying := func() {
		t.Helper()
		eventually(t, 60*time.Second, "the import's COPY", func() bool {
			var n int
			watch.QueryRow(ctx, `SELECT count(*) FROM pg_stat_activity
				WHERE application_name = $1 AND state = 'active' AND query ILIKE 'copy%import_staging%'`, app).Scan(&n)
			return n > 0
		})
	}
	post := func(ctx context.Context) (*http.Response, string, error) {
		req, _ := http.NewRequestWithContext(ctx, "POST", api+"/api/v1/trades?source=house", bytes.NewReader(body.Bytes()))
		req.Header.Set("Authorization", "Bearer in-tok")
		req.Header.Set("Content-Type", "application/json")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			return nil, "", err
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp, string(b), nil
	}
	before := state()

	// 1. The store's connections are cut mid-import.
	type answer struct {
		resp *http.Response
		body string
		err  error
	}
	done := make(chan answer, 1)
	go func() { r, b, err := post(ctx); done <- answer{r, b, err} }()
	copying()
	px.Stop()
	a := <-done
	if a.err != nil {
		t.Fatalf("ingest under a store crash: %v", a.err)
	}
	var p struct {
		Type, Detail string
	}
	json.Unmarshal([]byte(a.body), &p)
	if a.resp.StatusCode != 503 || a.resp.Header.Get("Retry-After") == "" || !strings.HasSuffix(p.Type, "#unavailable") || !strings.Contains(p.Detail, "nothing was stored") {
		t.Errorf("ingest under a store crash = %d (Retry-After %q): %.400s; want 503, type unavailable, saying nothing was stored",
			a.resp.StatusCode, a.resp.Header.Get("Retry-After"), a.body)
	}
	px.Start()
	if s := state(); s != before {
		t.Fatalf("after the crashed ingest: %+v; want %+v as before", s, before)
	}

	// 2. The client goes away mid-import.
	eventually(t, 30*time.Second, "readiness after the store returned", func() bool {
		resp, _ := request(t, "GET", api+"/readyz", "")
		return resp.StatusCode == 200
	})
	cctx, cancel := context.WithCancel(ctx)
	go func() { r, b, err := post(cctx); done <- answer{r, b, err} }()
	copying()
	cancel()
	if a := <-done; a.err == nil {
		t.Errorf("a canceled ingest got an answer: %d %.200s", a.resp.StatusCode, a.body)
	}
	eventually(t, 30*time.Second, "the abandoned import's end", func() bool {
		var n int
		watch.QueryRow(ctx, `SELECT count(*) FROM pg_stat_activity WHERE application_name = $1 AND state <> 'idle'`, app).Scan(&n)
		return n == 0
	})
	if s := state(); s != before {
		t.Fatalf("after the abandoned ingest: %+v; want %+v as before", s, before)
	}

	// 3. The same request again: stored once, then refused as stored.
	resp, b, err := post(ctx)
	if err != nil || resp.StatusCode != 201 {
		t.Fatalf("ingest repeated after the crash = %v %v: %.300s; want 201", resp, err, b)
	}
	var res struct {
		Store struct{ Records int }
	}
	json.Unmarshal([]byte(b), &res)
	after := state()
	if res.Store.Records < records*9/10 {
		t.Errorf("the ingest stored %d records of %d: %.300s", res.Store.Records, records, b)
	}
	if after.trades != res.Store.Records || after.imports != before.imports+1 || after.version <= before.version {
		t.Errorf("after the repeat: %+v; want %d trades, one import more, a newer version than %+v", after, res.Store.Records, before)
	}
	resp, b, err = post(ctx)
	if err != nil || resp.StatusCode != 409 {
		t.Errorf("ingest repeated once more = %v %v: %.300s; want 409", resp, err, b)
	}
	if s := state(); s != after {
		t.Errorf("after the second repeat: %+v; want %+v", s, after)
	}
}
