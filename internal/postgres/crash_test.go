package postgres_test

import (
	"context"
	"errors"
	"iter"
	"net"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/quantops/quant/internal/postgres"
	"github.com/quantops/quant/internal/quant"
)

// cutter is a TCP proxy to a PostgreSQL server whose Cut closes every
// connection it carries, both ways, as the server's host does when the
// server crashes (its sockets closed under the client); connections made
// afterwards are carried again, as by a server that came back.
type cutter struct {
	ln     net.Listener
	target string
	mu     sync.Mutex
	conns  []net.Conn
}

func newCutter(tb testing.TB, target string) *cutter {
	tb.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatalf("listen: %v", err)
	}
	c := &cutter{ln: ln, target: target}
	go c.accept()
	tb.Cleanup(func() {
		ln.Close()
		c.Cut()
	})
	return c
}

func (c *cutter) accept() {
	for {
		down, err := c.ln.Accept()
		if err != nil {
			return
		}
		up, err := net.Dial("tcp", c.target)
		if err != nil {
			down.Close()
			continue
		}
		c.mu.Lock()
		c.conns = append(c.conns, down, up)
		c.mu.Unlock()
		go pipe(up, down)
		go pipe(down, up)
	}
}

func pipe(dst, src net.Conn) {
	buf := make([]byte, 32<<10)
	for {
		n, err := src.Read(buf)
		if n > 0 {
			if _, werr := dst.Write(buf[:n]); werr != nil {
				src.Close()
				return
			}
		}
		if err != nil {
			dst.Close()
			return
		}
	}
}

// Cut closes every connection carried so far.
func (c *cutter) Cut() {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, conn := range c.conns {
		conn.Close()
	}
	c.conns = nil
}

// crashAt yields records, calling crash once just before it yields record
// at (0-based): the store fails in the middle of the COPY.
func crashAt(records iter.Seq2[quant.Trade, error], at int, crash func()) iter.Seq2[quant.Trade, error] {
	return func(yield func(quant.Trade, error) bool) {
		i := 0
		for tr, err := range records {
			if i == at {
				crash()
			}
			i++
			if !yield(tr, err) {
				return
			}
		}
	}
}

// TestImportStoreCrash: an import that the database fails under, in the
// middle of the COPY or in the statements after it, fails with an
// UnavailableError (503 with Retry-After over HTTP) saying nothing was
// stored, and nothing was: the stored records, the dataset version and
// the imports table are as before, so repeating the same import stores it
// once, and repeating it again is refused as already imported. The import
// is a refreshed cumulative file (the stored records and as many new), so
// a retry that doubled anything would show.
//
// The database fails in two ways: its connection is cut (the client sees
// its socket closed, as when the server's process dies), and the server
// terminates the import's session (pg_terminate_backend: the FATAL 57P01
// a server sends its sessions when it shuts down, and the rollback a crash
// makes), here while the import waits for a lock another session holds on
// the filings table after its COPY is done. A third case is no failure of
// the server's but the Store's bulk bound passing while the import waits
// for that lock: the same answer.
func TestImportStoreCrash(t *testing.T) {
	const base, refreshed, politicians = 2000, 4000, 40
	for _, tc := range []struct {
		name  string
		crash string // "cut", "terminate", or "timeout" (the bulk bound passes)
		at    int    // the record before which the store fails; -1: after the COPY
	}{
		{"connection cut mid-copy", "cut", 2500},
		{"session terminated mid-copy", "terminate", 2500},
		{"session terminated after the copy", "terminate", -1},
		{"bulk bound passed after the copy", "timeout", -1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			schemaURL := newSchema(t)
			u, err := url.Parse(schemaURL)
			if err != nil {
				t.Fatal(err)
			}
			app := "quant-crash-" + strings.ToLower(strings.ReplaceAll(tc.name, " ", "-"))
			q := u.Query()
			q.Set("application_name", app)
			u.RawQuery = q.Encode()
			cut := newCutter(t, u.Host)
			u.Host = cut.ln.Addr().String()
			var opts []postgres.Option
			if tc.crash == "timeout" {
				opts = append(opts, postgres.WithBulkTimeout(2*time.Second))
			}
			s, err := postgres.Open(context.Background(), u.String(), opts...)
			if err != nil {
				t.Fatalf("Open: %v", err)
			}
			t.Cleanup(s.Close)
			ctx := context.Background()
			if err := s.Migrate(ctx); err != nil {
				t.Fatalf("Migrate: %v", err)
			}
			if _, err := s.Import(ctx, quant.ImportInfo{Source: "base", Fingerprint: "base"}, synthetic(base, politicians)); err != nil {
				t.Fatalf("base import: %v", err)
			}
			// admin is a session of its own, straight to the server (not
			// through the cutter), on the test's schema.
			admin, err := pgx.Connect(ctx, schemaURL)
			if err != nil {
				t.Fatalf("connect: %v", err)
			}
			t.Cleanup(func() { admin.Close(context.Background()) })
			state := func() (version int64, trades, imports int) {
				t.Helper()
				if err := admin.QueryRow(ctx, `SELECT version, (SELECT count(*) FROM trades), (SELECT count(*) FROM imports) FROM dataset`).
					Scan(&version, &trades, &imports); err != nil {
					t.Fatalf("read the stored state: %v", err)
				}
				return
			}
			v0, n0, i0 := state()
			terminate := func() {
				var n int
				if err := admin.QueryRow(ctx, `SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity
					WHERE application_name = $1 AND pid <> pg_backend_pid()`, app).Scan(&n); err != nil || n == 0 {
					t.Errorf("terminate the store's sessions: %d terminated, %v", n, err)
				}
			}
			crash := cut.Cut
			if tc.crash == "terminate" {
				crash = terminate
			}

			records := syntheticFrom(0, refreshed, politicians)
			done := make(chan error, 1)
			info := quant.ImportInfo{Source: "refreshed", Fingerprint: "refreshed"}
			if tc.at >= 0 {
				records = crashAt(records, tc.at, crash)
				go func() { _, err := s.Import(ctx, info, records); done <- err }()
			} else {
				// Hold the filings table: the import's COPY ends, then its
				// comparison of the filings waits for the lock, and its
				// session is terminated while it waits.
				// The admin session holds the lock in a transaction (where
				// pg_stat_activity is one snapshot): another watches and
				// terminates.
				holder, err := pgx.Connect(ctx, schemaURL)
				if err != nil {
					t.Fatal(err)
				}
				defer holder.Close(ctx)
				tx, err := holder.Begin(ctx)
				if err != nil {
					t.Fatal(err)
				}
				if _, err := tx.Exec(ctx, `LOCK TABLE filings IN ACCESS EXCLUSIVE MODE`); err != nil {
					t.Fatalf("lock filings: %v", err)
				}
				go func() { _, err := s.Import(ctx, info, records); done <- err }()
				waitLock(t, admin, app)
				if tc.crash == "terminate" {
					terminate()
				} else {
					// The lock is held until the import gave up on it.
					select {
					case err := <-done:
						done <- err
					case <-time.After(30 * time.Second):
						t.Fatal("the import waited for the lock past its bound")
					}
				}
				if err := tx.Rollback(ctx); err != nil {
					t.Fatal(err)
				}
			}
			var err2 error
			select {
			case err2 = <-done:
			case <-time.After(30 * time.Second):
				t.Fatal("the import did not return within 30 s of the crash")
			}
			var ue *quant.UnavailableError
			if !errors.As(err2, &ue) || ue.RetryAfter <= 0 || !strings.Contains(ue.Reason, "nothing was stored") {
				t.Fatalf("import under a crash = %v, want an UnavailableError with a Retry-After saying nothing was stored", err2)
			}
			if v, n, i := state(); v != v0 || n != n0 || i != i0 {
				t.Fatalf("after the failed import: version %d, %d trades, %d imports; want %d, %d, %d as before", v, n, i, v0, n0, i0)
			}

			// The store comes back: the same import stores it once. Its
			// filings stored by the base import are unchanged; records
			// without a filing id are never merged (ANALYTICS.md 1.1), so
			// the base import's stay beside the refreshed file's.
			noFiling := 0
			for tr := range synthetic(base, politicians) {
				if tr.FilingID == "" {
					noFiling++
				}
			}
			want := refreshed + noFiling
			res, err := s.Import(ctx, info, syntheticFrom(0, refreshed, politicians))
			if err != nil {
				t.Fatalf("the import repeated: %v", err)
			}
			if res.Records != refreshed || res.Unchanged != base-noFiling {
				t.Errorf("the import repeated: %d records, %d unchanged; want %d, %d", res.Records, res.Unchanged, refreshed, base-noFiling)
			}
			v1, n1, _ := state()
			if n1 != want || v1 <= v0 {
				t.Errorf("after the repeat: %d trades, version %d (was %d); want %d and a newer version", n1, v1, v0, want)
			}
			if _, err := s.Import(ctx, info, syntheticFrom(0, refreshed, politicians)); !errors.Is(err, quant.ErrAlreadyImported) {
				t.Errorf("the import repeated again = %v, want ErrAlreadyImported", err)
			}
			if v, n, _ := state(); v != v1 || n != want {
				t.Errorf("after the second repeat: version %d, %d trades; want %d, %d", v, n, v1, want)
			}
		})
	}
}

// waitLock waits until a session of application app waits for a lock.
func waitLock(t *testing.T, conn *pgx.Conn, app string) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		var n int
		if err := conn.QueryRow(context.Background(), `SELECT count(*) FROM pg_stat_activity
			WHERE application_name = $1 AND wait_event_type = 'Lock'`, app).Scan(&n); err != nil {
			t.Fatalf("pg_stat_activity: %v", err)
		}
		if n > 0 {
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatal("the import never waited for the filings lock")
}
