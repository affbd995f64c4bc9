package main

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	mrand "math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/quantops/quant/internal/client"
	"github.com/quantops/quant/internal/ingest"
	"github.com/quantops/quant/internal/quant"
)

// The end-to-end tests build the real binary (with -race) and drive it as
// a user would: commands, files, HTTP.

const realCSV = "../../../shared/data/senate_all_transactions.csv"
const realJSON = "../../../shared/data/senate_all_transactions.json"

var (
	buildOnce sync.Once
	binPath   string
	buildErr  error
)

// TestMain removes the binary the end-to-end tests built (37 MB with
// -race): left in the temporary directory, every run added one.
func TestMain(m *testing.M) {
	code := m.Run()
	if binPath != "" {
		os.RemoveAll(filepath.Dir(binPath))
	}
	os.Exit(code)
}

// quantBin builds the binary once per test run.
func quantBin(t *testing.T) string {
	t.Helper()
	if testing.Short() {
		t.Skip("end-to-end test: skipped with -short")
	}
	buildOnce.Do(func() {
		dir, err := os.MkdirTemp("", "quant-e2e")
		if err != nil {
			buildErr = err
			return
		}
		binPath = filepath.Join(dir, "quant")
		out, err := exec.Command("go", "build", "-race", "-o", binPath, ".").CombinedOutput()
		if err != nil {
			buildErr = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return binPath
}

// run runs the binary and returns stdout, stderr and its exit code.
func run(t *testing.T, env []string, args ...string) (string, string, int) {
	t.Helper()
	cmd := exec.Command(quantBin(t), args...)
	cmd.Env = append(os.Environ(), env...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatalf("quant %v: %v", args, err)
	}
	return stdout.String(), stderr.String(), code
}

// needFile skips the test when a real data file is absent, naming it: a
// clone with no ../shared beside it runs every other test.
func needFile(t *testing.T, path string) {
	t.Helper()
	if _, err := os.Stat(path); err != nil {
		t.Skipf("needs %s (the real files of ../shared/data/README.md); absent in this clone", strings.TrimPrefix(path, "../../"))
	}
}

// genData writes, with `quant gen`, a Senate CSV shaped like the real one
// (66 politicians, 8,350 trades, 2012-2020) into the test's temporary
// directory, for the tests the real data is not essential to. It returns
// the file and the politician ids, most analyzable records first (ties
// by id); the first six answer every analysis.
func genData(t *testing.T) (path string, ids []string) {
	t.Helper()
	path = filepath.Join(t.TempDir(), "senate.csv")
	if _, stderr, code := run(t, nil, "gen", "--politicians", "66", "--trades", "8350", "--seed", "1", "-o", path); code != 0 {
		t.Fatalf("quant gen: exit %d: %s", code, stderr)
	}
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	counts := map[string]int{}
	for tr, err := range (&ingest.Parser{}).Records(f, nil) {
		if err != nil {
			t.Fatalf("reading %s: %v", path, err)
		}
		if tr.Analyzable() {
			counts[tr.PoliticianID]++
		}
	}
	for id := range counts {
		ids = append(ids, id)
	}
	slices.SortFunc(ids, func(a, b string) int { return cmp.Or(cmp.Compare(counts[b], counts[a]), strings.Compare(a, b)) })
	if len(ids) < 6 || counts[ids[5]] < 100 {
		t.Fatalf("generated data: %d politicians, the sixth with %d records; want 6 with 100 or more", len(ids), counts[ids[min(5, len(ids)-1)]])
	}
	return path, ids
}

// e2eVersion is a dataset version as JSON carries it: a string (so that
// JavaScript clients keep every digit) or, from older servers, a number.
type e2eVersion int64

// UnmarshalJSON reads "123" or 123.
func (v *e2eVersion) UnmarshalJSON(b []byte) error {
	n, err := strconv.ParseInt(strings.Trim(string(b), `"`), 10, 64)
	if err != nil {
		return fmt.Errorf("dataset version %s: %w", b, err)
	}
	*v = e2eVersion(n)
	return nil
}

// testDatabase returns the URL of a new, empty database on the test server
// and drops it afterwards; it skips without QUANT_TEST_DATABASE_URL.
func testDatabase(t *testing.T) string {
	t.Helper()
	base := os.Getenv("QUANT_TEST_DATABASE_URL")
	if base == "" {
		t.Skip("QUANT_TEST_DATABASE_URL not set: run `make test`, which starts PostgreSQL")
	}
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, base)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	name := fmt.Sprintf("e2e_%d", time.Now().UnixNano())
	if _, err := conn.Exec(ctx, "CREATE DATABASE "+name); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		c, err := pgx.Connect(ctx, base)
		if err == nil {
			c.Exec(ctx, "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)")
			c.Close(ctx)
		}
	})
	u, _ := url.Parse(base)
	u.Path = "/" + name
	return u.String()
}

type importJSON struct {
	Store string `json:"store"`
	Files []struct {
		Skipped bool `json:"skipped"`
		Summary struct {
			Records                   int            `json:"records"`
			Rejected                  int            `json:"rejected"`
			Filings                   int            `json:"filings"`
			EmptyFilings              int            `json:"empty_filings"`
			RecordsByChamber          map[string]int `json:"records_by_chamber"`
			RecordsWithDisclosureDate int            `json:"records_with_disclosure_date"`
			NotesByKind               map[string]int `json:"notes_by_kind"`
			RejectsByReason           map[string]int `json:"rejects_by_reason"`
			Rejects                   []struct {
				Line   int    `json:"line"`
				Reason string `json:"reason"`
			} `json:"rejects"`
			PerPolitician []struct {
				ID      string `json:"id"`
				Records int    `json:"trade_count"`
			} `json:"per_politician"`
		} `json:"summary"`
	} `json:"files"`
}

func importFiles(t *testing.T, env []string, args ...string) importJSON {
	t.Helper()
	stdout, stderr, code := run(t, env, append([]string{"import", "--json"}, args...)...)
	if code != 0 {
		t.Fatalf("quant import %v: exit %d\n%s", args, code, stderr)
	}
	var out importJSON
	if err := json.Unmarshal([]byte(stdout), &out); err != nil {
		t.Fatalf("quant import --json: %v\n%s", err, stdout)
	}
	return out
}

func TestE2EGenDeterministic(t *testing.T) {
	dir := t.TempDir()
	a, b := filepath.Join(dir, "a.csv"), filepath.Join(dir, "b.csv")
	for _, f := range []string{a, b} {
		if _, stderr, code := run(t, nil, "gen", "--politicians", "30", "--trades", "5000", "--seed", "7", "-o", f); code != 0 {
			t.Fatalf("quant gen: %s", stderr)
		}
	}
	x, _ := os.ReadFile(a)
	y, _ := os.ReadFile(b)
	if len(x) == 0 || !bytes.Equal(x, y) {
		t.Fatalf("quant gen with one seed gave different files (%d and %d bytes)", len(x), len(y))
	}
	stdout, _, _ := run(t, nil, "gen", "--politicians", "30", "--trades", "5000", "--seed", "8")
	if stdout == string(x) {
		t.Error("quant gen with another seed gave the same file")
	}
	out := importFiles(t, nil, a)
	if s := out.Files[0].Summary; s.Records != 5000 || s.Rejected != 0 {
		t.Errorf("generated file imports %d records, %d rejected; want 5000, 0", s.Records, s.Rejected)
	}
}

// quant gen writes either chamber's format, deterministically, and quant
// import reads every record back: no reject, no note, every record dated.
func TestE2EGenFormats(t *testing.T) {
	for _, format := range []string{"house-json", "senate-filings"} {
		t.Run(format, func(t *testing.T) {
			dir := t.TempDir()
			a, b := filepath.Join(dir, "a.json"), filepath.Join(dir, "b.json")
			for _, f := range []string{a, b} {
				if _, stderr, code := run(t, nil, "gen", "--format", format, "--politicians", "20", "--trades", "3000", "--seed", "3", "-o", f); code != 0 {
					t.Fatalf("quant gen --format %s: exit %d: %s", format, code, stderr)
				}
			}
			x, _ := os.ReadFile(a)
			y, _ := os.ReadFile(b)
			if len(x) == 0 || !bytes.Equal(x, y) {
				t.Fatalf("quant gen --format %s with one seed gave different files (%d and %d bytes)", format, len(x), len(y))
			}
			s := importFiles(t, nil, a).Files[0].Summary
			chamber := map[string]string{"house-json": "house", "senate-filings": "senate"}[format]
			notes := 0
			for _, n := range s.NotesByKind {
				notes += n
			}
			if s.Records != 3000 || s.Rejected != 0 || notes != 0 {
				t.Errorf("import: %d records, %d rejected, notes %v; want 3000, 0, none", s.Records, s.Rejected, s.NotesByKind)
			}
			if s.RecordsWithDisclosureDate != 3000 || s.RecordsByChamber[chamber] != 3000 {
				t.Errorf("import: %d records dated, by chamber %v; want 3000, all %s", s.RecordsWithDisclosureDate, s.RecordsByChamber, chamber)
			}
			if format == "senate-filings" && (s.Filings == 0 || s.EmptyFilings == 0 || s.EmptyFilings >= s.Filings) {
				t.Errorf("import: %d filings, %d empty; want some paper filings among them", s.Filings, s.EmptyFilings)
			}
		})
	}
	if _, stderr, code := run(t, nil, "gen", "--format", "xml"); code == 0 || !strings.Contains(stderr, "--format") {
		t.Errorf("quant gen --format xml: exit %d, stderr %q; want an error naming --format", code, stderr)
	}
}

// TestE2EImportReal imports the real Senate data into memory and, when the
// test database is there, into PostgreSQL: 8,350 records, no rejects, the
// same per-politician counts, and the JSON file gives the same data.
func TestE2EImportReal(t *testing.T) {
	needFile(t, realCSV)
	mem := importFiles(t, nil, realCSV, realJSON)
	if mem.Store != "memory" {
		t.Errorf("store = %q, want memory", mem.Store)
	}
	counts := func(out importJSON, i int) map[string]int {
		m := map[string]int{}
		for _, p := range out.Files[i].Summary.PerPolitician {
			m[p.ID] = p.Records
		}
		return m
	}
	for i, f := range mem.Files {
		if f.Summary.Records != 8350 || f.Summary.Rejected != 0 {
			t.Errorf("file %d: %d records, %d rejected; want 8350, 0", i, f.Summary.Records, f.Summary.Rejected)
		}
	}
	if fmt.Sprint(counts(mem, 0)) != fmt.Sprint(counts(mem, 1)) {
		t.Errorf("csv and json per-politician counts differ")
	}

	dbURL := testDatabase(t)
	env := []string{"QUANT_DATABASE_URL=" + dbURL}
	pg := importFiles(t, env, realCSV)
	if pg.Store != "postgres" || pg.Files[0].Summary.Records != 8350 {
		t.Fatalf("postgres import = %+v", pg.Files[0].Summary.Records)
	}
	if fmt.Sprint(counts(pg, 0)) != fmt.Sprint(counts(mem, 0)) {
		t.Errorf("postgres and memory per-politician counts differ")
	}
	again := importFiles(t, env, realCSV)
	if !again.Files[0].Skipped {
		t.Errorf("a second import of the same file was not skipped")
	}
	// The stored data agrees with the file: the API over PostgreSQL lists
	// the same per-politician counts.
	base := startServer(t, env)
	got := map[string]int{}
	for p, err := range newClient(base).AllPoliticians(context.Background(), client.PoliticianFilter{}) {
		if err != nil {
			t.Fatal(err)
		}
		got[p.ID] = p.TradeCount
	}
	if fmt.Sprint(got) != fmt.Sprint(counts(mem, 0)) {
		t.Errorf("politicians served from postgres differ from the file's counts:\n got %v\nwant %v", got, counts(mem, 0))
	}
}

func TestE2EBrokenRows(t *testing.T) {
	dir := t.TempDir()
	f := filepath.Join(dir, "broken.csv")
	os.WriteFile(f, []byte("transaction_date,owner,ticker,asset_description,asset_type,type,amount,comment,senator,ptr_link\n"+
		"01/06/2020,Self,AAPL,Apple,Stock,Purchase,\"$1,001 - $15,000\",--,Ann Able,x\n"+
		"02/30/2020,Self,AAPL,Apple,Stock,Purchase,\"$1,001 - $15,000\",--,Ann Able,x\n"+
		"01/07/2020,Self,AAPL,Apple,Stock\n"+
		"01/08/2020,Self,MSFT,Microsoft,Stock,Sale (Full),Unknown,--,Bo Bee,x\n"), 0o644)
	out := importFiles(t, nil, f)
	s := out.Files[0].Summary
	if s.Records != 2 || s.Rejected != 2 || len(s.Rejects) != 2 || s.Rejects[0].Line != 3 || s.Rejects[0].Reason != "bad_date" ||
		s.Rejects[1].Line != 4 || s.Rejects[1].Reason != "malformed_row" {
		t.Errorf("broken file summary = %+v", s)
	}
	stdout, _, code := run(t, nil, "import", f)
	if code != 0 || !strings.Contains(stdout, "line 3: bad_date") || !strings.Contains(stdout, "line 4: malformed_row") {
		t.Errorf("quant import text output (exit %d) lacks the rejects:\n%s", code, stdout)
	}
}

// TestE2EKilledImport kills `quant import` mid-file and checks that the
// PostgreSQL store is exactly as before.
func TestE2EKilledImport(t *testing.T) {
	dbURL := testDatabase(t)
	env := []string{"QUANT_DATABASE_URL=" + dbURL}
	dir := t.TempDir()
	small, big := filepath.Join(dir, "small.csv"), filepath.Join(dir, "big.csv")
	run(t, nil, "gen", "--politicians", "5", "--trades", "100", "--seed", "1", "-o", small)
	run(t, nil, "gen", "--politicians", "50", "--trades", "400000", "--seed", "2", "-o", big)
	importFiles(t, env, small)
	before := storeState(t, dbURL)

	cmd := exec.Command(quantBin(t), "import", big)
	cmd.Env = append(os.Environ(), env...)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	// Kill once the COPY is under way: rows are arriving in the open transaction.
	deadline := time.Now().Add(60 * time.Second)
	for !copyInProgress(t, dbURL) {
		if time.Now().After(deadline) {
			cmd.Process.Kill()
			t.Fatal("the import never reached COPY")
		}
		time.Sleep(5 * time.Millisecond)
	}
	cmd.Process.Signal(syscall.SIGKILL)
	cmd.Wait()
	if after := storeState(t, dbURL); after != before {
		t.Errorf("a killed import changed the store:\nbefore %s\nafter  %s", before, after)
	}
	// The file imports in full afterwards: its fingerprint was not recorded.
	if out := importFiles(t, env, big); out.Files[0].Skipped || out.Files[0].Summary.Records != 400000 {
		t.Errorf("re-import after the kill = %+v", out.Files[0])
	}
}

// storeState summarizes what a committed import changes.
func storeState(t *testing.T, dbURL string) string {
	t.Helper()
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, dbURL)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	var trades, imports, pols int64
	if err := conn.QueryRow(ctx, "SELECT (SELECT count(*) FROM trades), (SELECT count(*) FROM imports), (SELECT count(*) FROM politicians)").Scan(&trades, &imports, &pols); err != nil {
		t.Fatal(err)
	}
	return fmt.Sprintf("trades=%d imports=%d politicians=%d", trades, imports, pols)
}

// copyInProgress reports whether a session is running COPY into trades.
func copyInProgress(t *testing.T, dbURL string) bool {
	t.Helper()
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, dbURL)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	var n int
	conn.QueryRow(ctx, "SELECT count(*) FROM pg_stat_progress_copy WHERE tuples_processed > 1000").Scan(&n)
	return n > 0
}

// freeAddr returns a free loopback address.
func freeAddr(t *testing.T) string {
	t.Helper()
	// A port below the ephemeral range (32768-60999 here): a port the kernel
	// hands out for ":0" can be taken by any outgoing connection between
	// this check and the server's listen, which made tests fail with
	// "address already in use".
	for range 100 {
		addr := fmt.Sprintf("127.0.0.1:%d", 15000+mrand.IntN(15000))
		ln, err := net.Listen("tcp", addr)
		if err != nil {
			continue
		}
		ln.Close()
		return addr
	}
	t.Fatal("no free port in 15000-29999")
	return ""
}

// startServer runs `quant serve` on a free loopback port until the test
// ends and returns its base URL once it answers.
func startServer(t *testing.T, env []string, args ...string) string {
	t.Helper()
	base, _ := startServerProc(t, env, args...)
	return base
}

// startServerProc is startServer that also returns the process, for tests
// that kill it.
func startServerProc(t *testing.T, env []string, args ...string) (string, *os.Process) {
	t.Helper()
	base, proc, _ := launchServer(t, env, args...)
	return base, proc
}

// lockedBuffer is a bytes.Buffer safe for a writer and a reader at once.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// launchServer starts `quant serve` and returns its URL, its process and
// its log (stderr) so far.
func launchServer(t *testing.T, env []string, args ...string) (string, *os.Process, *lockedBuffer) {
	t.Helper()
	addr := freeAddr(t)
	if !slices.Contains(args, "--admin-addr") {
		// The default admin port is shared by every server: give each its own.
		args = append(args, "--admin-addr", freeAddr(t))
	}
	cmd := exec.Command(quantBin(t), append([]string{"serve", "--addr", addr}, args...)...)
	cmd.Env = append(os.Environ(), env...)
	stderr := &lockedBuffer{}
	cmd.Stderr = stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan struct{})
	var waitErr error
	go func() { waitErr = cmd.Wait(); close(exited) }()
	t.Cleanup(func() {
		cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-exited:
		case <-time.After(20 * time.Second):
			cmd.Process.Kill()
			t.Errorf("quant serve did not stop on SIGTERM")
		}
	})
	base := "http://" + addr
	deadline := time.Now().Add(60 * time.Second)
	for {
		resp, err := http.Get(base + "/readyz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				return base, cmd.Process, stderr
			}
		}
		select {
		case <-exited:
			t.Fatalf("quant serve exited: %v\n%s", waitErr, stderr.String())
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("quant serve not ready after 60 s\n%s", stderr.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// newClient is the typed client of the API a test started at base (with
// WithAdmin, of its admin API too).
func newClient(base string, opts ...client.Option) *client.Client {
	return client.New(base, append([]client.Option{client.WithTimeout(time.Minute), client.WithUserAgent("quant-e2e")}, opts...)...)
}

// adminClient is the typed client of an admin API alone ("host:port" or a
// URL) with token ("" sends none).
func adminClient(admin, token string) *client.Client {
	if !strings.Contains(admin, "://") {
		admin = "http://" + admin
	}
	return newClient("", client.WithAdmin(admin, token))
}

// getJSON decodes the 200 answer of GET u into v, for answers the client
// has no method for.
func getJSON(t *testing.T, u string, v any) {
	t.Helper()
	resp, err := http.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("GET %s = %s", u, resp.Status)
	}
	if err := json.NewDecoder(resp.Body).Decode(v); err != nil {
		t.Fatalf("GET %s: %v", u, err)
	}
}

// TestE2EServeEmbedded serves the built-in synthetic dataset and checks
// the listing endpoints answer from it, with both chambers.
func TestE2EServeEmbedded(t *testing.T) {
	base := startServer(t, nil)
	ctx := context.Background()
	c := newClient(base)
	list, err := c.Politicians(ctx, client.PoliticianFilter{Limit: 5})
	if err != nil {
		t.Fatal(err)
	}
	if list.Total != defaultGenPoliticians || len(list.Politicians) != 5 {
		t.Fatalf("embedded dataset lists %d politicians (page %d), want %d", list.Total, len(list.Politicians), defaultGenPoliticians)
	}
	// Both chambers: House names carry a dotted middle initial ("Thomas
	// H. Kean"), Senate filers' do not; every record is analyzable, and
	// every politician answers the analyses.
	all, err := c.Politicians(ctx, client.PoliticianFilter{Limit: 500})
	if err != nil {
		t.Fatal(err)
	}
	var records, house, senate, both int
	for _, p := range all.Politicians {
		records += p.TradeCount
		if p.AnalyzableCount != p.TradeCount || p.AnalyzableCount < 10 {
			t.Errorf("%s: %d records, %d analyzable; want all, at least 10", p.ID, p.TradeCount, p.AnalyzableCount)
		}
		h, s := p.LastTrade >= "2021", p.FirstTrade < "2021" // the House part is 2021-2025, the Senate's 2012-2020
		switch {
		case h && s:
			both++
		case h:
			house++
		default:
			senate++
		}
	}
	if records != defaultGenTrades || both != syntheticBothChambers || house+both < 50 || senate+both < 30 {
		t.Errorf("embedded dataset: %d records, %d House-only, %d Senate-only, %d in both; want %d records, about 60, 38, %d",
			records, house, senate, both, defaultGenTrades, syntheticBothChambers)
	}
	for _, p := range list.Politicians {
		for _, an := range []quant.Analysis{quant.AnalysisFourier, quant.AnalysisHMM} {
			if _, err := c.Analysis(ctx, quant.Request{Analysis: an, ID: p.ID}); err != nil {
				t.Errorf("%s of %s on the embedded dataset: %v", an, p.ID, err)
			}
		}
	}
	trades, err := c.Trades(ctx, list.Politicians[0].ID, client.TradeFilter{Limit: 3})
	if err != nil {
		t.Fatal(err)
	}
	if len(trades.Trades) != 3 || trades.NextCursor == nil {
		t.Errorf("trades page = %d trades, next %v", len(trades.Trades), trades.NextCursor)
	}
	tickers, err := c.Tickers(ctx, 10)
	if err != nil || len(tickers) != 10 {
		t.Errorf("tickers = %d, %v; want 10", len(tickers), err)
	}
}

// TestE2EServeReal serves the real Senate file and checks a politician's
// count.
func TestE2EServeReal(t *testing.T) {
	needFile(t, realCSV)
	real := startServer(t, nil, "--data", realCSV)
	p, err := newClient(real).Politician(context.Background(), "david-a-perdue")
	if err != nil {
		t.Fatal(err)
	}
	if p.TradeCount != 2597 {
		t.Errorf("david-a-perdue has %d trades, want 2597", p.TradeCount)
	}
}

func TestE2EConfigErrors(t *testing.T) {
	tests := []struct {
		args []string
		env  []string
		want string
	}{
		{[]string{"serve", "--addr", "nonsense"}, nil, "--addr"},
		{[]string{"serve", "--data", "/no/such/file.csv"}, nil, "--data"},
		{[]string{"serve"}, []string{"QUANT_ADDR=bad"}, "--addr"},
		{[]string{"serve", "--log-level", "loud"}, nil, "--log-level"},
		{[]string{"import", "--format", "xml", "x"}, nil, "--format"},
		{[]string{"migrate"}, nil, "--database-url"},
	}
	for _, tt := range tests {
		_, stderr, code := run(t, tt.env, tt.args...)
		if code == 0 || !strings.Contains(stderr, tt.want) {
			t.Errorf("quant %v (env %v): exit %d, stderr %q; want an error naming %s", tt.args, tt.env, code, stderr, tt.want)
		}
	}
	stdout, _, code := run(t, nil, "version")
	if code != 0 || !strings.HasPrefix(stdout, "quant ") {
		t.Errorf("quant version = %q (exit %d)", stdout, code)
	}
	stdout, _, code = run(t, nil, "completion", "bash")
	if code != 0 || !strings.Contains(stdout, "bash completion") {
		t.Errorf("quant completion bash: exit %d", code)
	}
}

// quant import --json lists every file it was given, a failed one with its
// error, in the order given; the exit code says some failed.
func TestE2EImportJSONListsFailedFiles(t *testing.T) {
	dir := t.TempDir()
	good, bad := filepath.Join(dir, "good.csv"), filepath.Join(dir, "bad.csv")
	if _, stderr, code := run(t, nil, "gen", "--politicians", "5", "--trades", "50", "-o", good); code != 0 {
		t.Fatalf("quant gen: %s", stderr)
	}
	os.WriteFile(bad, []byte("not,a,disclosure,header\n1,2,3,4\n"), 0o600)
	missing := filepath.Join(dir, "missing.csv")
	stdout, _, code := run(t, nil, "import", "--json", good, bad, missing)
	var out struct {
		Files []struct {
			File  string `json:"file"`
			Error string `json:"error"`
		} `json:"files"`
	}
	if err := json.Unmarshal([]byte(stdout), &out); err != nil {
		t.Fatalf("quant import --json: %v\n%s", err, stdout)
	}
	if code != 1 || len(out.Files) != 3 || out.Files[0].File != good || out.Files[0].Error != "" ||
		out.Files[1].File != bad || out.Files[1].Error == "" || out.Files[2].File != missing || out.Files[2].Error == "" {
		t.Errorf("exit %d, files %+v; want exit 1 and the three files in order, the two failed ones with their errors", code, out.Files)
	}
}
