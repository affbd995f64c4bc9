package postgres_test

import (
	"context"
	"errors"
	"io"
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

// openWith opens a migrated Store on a fresh schema with opts; it returns
// the schema's URL too.
func openWith(tb testing.TB, opts ...postgres.Option) (*postgres.Store, string) {
	tb.Helper()
	u := newSchema(tb)
	s, err := postgres.Open(context.Background(), u, opts...)
	if err != nil {
		tb.Fatalf("Open: %v", err)
	}
	tb.Cleanup(s.Close)
	if err := s.Migrate(context.Background()); err != nil {
		tb.Fatalf("Migrate: %v", err)
	}
	return s, u
}

// storeCalls are reads the API makes; each reads the trades table.
var storeCalls = []struct {
	name string
	call func(context.Context, *postgres.Store) error
}{
	{"trades listing", func(ctx context.Context, s *postgres.Store) error {
		_, err := s.Trades(ctx, quant.TradeQuery{Limit: 10})
		return err
	}},
	{"one politician's trades", func(ctx context.Context, s *postgres.Store) error {
		_, err := s.Trades(ctx, quant.TradeQuery{PoliticianID: "nobody", Limit: 10})
		return err
	}},
	{"ticker", func(ctx context.Context, s *postgres.Store) error {
		_, err := s.Ticker(ctx, "AAPL")
		return err
	}},
	{"disclosures build", func(ctx context.Context, s *postgres.Store) error {
		_, err := s.Disclosures(ctx)
		return err
	}},
}

// TestLockedTable: while another session holds the trades table locked (a
// migration, VACUUM FULL, a stuck session), a read of it fails with
// ErrUnavailable once the lock timeout passes, instead of waiting for the
// lock. The lock is held until the test ends, so a call that waited for it
// would never return.
func TestLockedTable(t *testing.T) {
	s, u := openWith(t, postgres.WithLockTimeout(time.Second))
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, u)
	if err != nil {
		t.Fatalf("connect: %v", err)
	}
	t.Cleanup(func() { conn.Close(context.Background()) })
	tx, err := conn.Begin(ctx)
	if err != nil {
		t.Fatalf("begin: %v", err)
	}
	t.Cleanup(func() { tx.Rollback(context.Background()) })
	if _, err := tx.Exec(ctx, `LOCK TABLE trades IN ACCESS EXCLUSIVE MODE`); err != nil {
		t.Fatalf("lock trades: %v", err)
	}
	for _, c := range storeCalls {
		t.Run(c.name, func(t *testing.T) {
			err := c.call(ctx, s)
			var ue *quant.UnavailableError
			if !errors.As(err, &ue) || !strings.Contains(ue.Reason, "lock") {
				t.Errorf("%s on a locked table = %v, want an UnavailableError saying a lock is held", c.name, err)
			}
		})
	}
	t.Run("ping", func(t *testing.T) {
		if err := s.Ping(ctx); err != nil {
			t.Errorf("Ping with the trades table locked = %v, want nil (the server answers)", err)
		}
	})
}

// freezer is a TCP proxy to a PostgreSQL server that can freeze: from then
// on it forwards nothing, either way, on its connections old and new, and
// closes none of them, as a server stopped with SIGSTOP (TCP open, no
// answer). It stays frozen until the test ends.
type freezer struct {
	ln       net.Listener
	target   string
	freeze   chan struct{} // closed by Freeze
	done     chan struct{} // closed at cleanup
	once     sync.Once
	mu       sync.Mutex
	conns    []net.Conn // guarded by mu
	proxying sync.WaitGroup
}

func newFreezer(tb testing.TB, target string) *freezer {
	tb.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatalf("listen: %v", err)
	}
	f := &freezer{ln: ln, target: target, freeze: make(chan struct{}), done: make(chan struct{})}
	f.proxying.Add(1)
	go f.accept()
	tb.Cleanup(func() {
		close(f.done)
		ln.Close()
		f.mu.Lock()
		for _, c := range f.conns {
			c.Close()
		}
		f.mu.Unlock()
		f.proxying.Wait()
	})
	return f
}

// Freeze stops all forwarding.
func (f *freezer) Freeze() { f.once.Do(func() { close(f.freeze) }) }

func (f *freezer) track(c net.Conn) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.conns = append(f.conns, c)
}

func (f *freezer) accept() {
	defer f.proxying.Done()
	for {
		c, err := f.ln.Accept()
		if err != nil {
			return
		}
		f.track(c)
		up, err := net.Dial("tcp", f.target)
		if err != nil {
			c.Close()
			continue
		}
		f.track(up)
		f.proxying.Add(2)
		go f.pipe(up, c)
		go f.pipe(c, up)
	}
}

// pipe copies from src to dst until either fails; frozen, it holds what
// it read and waits for the end of the test.
func (f *freezer) pipe(dst, src net.Conn) {
	defer f.proxying.Done()
	buf := make([]byte, 32<<10)
	for {
		n, err := src.Read(buf)
		if n > 0 {
			select {
			case <-f.freeze:
				<-f.done
				return
			default:
			}
			if _, werr := dst.Write(buf[:n]); werr != nil {
				return
			}
		}
		if err != nil {
			return
		}
	}
}

// TestHungServer: a server that keeps its connections open and answers
// nothing (stopped with SIGSTOP) fails every call with ErrUnavailable
// once the call timeout passes, as a server that is down fails it at
// once. The server stays hung until the test ends, so a call without a
// deadline would never return.
func TestHungServer(t *testing.T) {
	u, err := url.Parse(newSchema(t))
	if err != nil {
		t.Fatal(err)
	}
	// The Store closes after the proxy has cut its connections (cleanups
	// run last first): closing it on a hung server would wait.
	var s *postgres.Store
	t.Cleanup(func() {
		if s != nil {
			s.Close()
		}
	})
	f := newFreezer(t, u.Host)
	u.Host = f.ln.Addr().String()
	s, err = postgres.Open(context.Background(), u.String(), postgres.WithStatementTimeout(time.Second))
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	if err := s.Migrate(context.Background()); err != nil {
		t.Fatalf("Migrate: %v", err)
	}
	f.Freeze()
	calls := append(storeCalls[:len(storeCalls):len(storeCalls)],
		struct {
			name string
			call func(context.Context, *postgres.Store) error
		}{"ping", func(ctx context.Context, s *postgres.Store) error { return s.Ping(ctx) }},
		struct {
			name string
			call func(context.Context, *postgres.Store) error
		}{"submit job", func(ctx context.Context, s *postgres.Store) error {
			_, _, err := s.SubmitJob(ctx, quant.Job{Key: "k"}, quant.SubmitOptions{})
			return err
		}},
	)
	for _, c := range calls {
		t.Run(c.name, func(t *testing.T) {
			err := c.call(context.Background(), s)
			var ue *quant.UnavailableError
			if !errors.As(err, &ue) || ue.RetryAfter <= 0 {
				t.Errorf("%s on a hung server = %v, want an UnavailableError with a Retry-After", c.name, err)
			}
		})
	}
}

// TestPingBesideFullPool: readiness reads whether the server answers, not
// whether the pool has a connection free: with the pool's only connection
// held by an import, Ping answers, while a read waits no longer than the
// call timeout and fails with ErrUnavailable.
func TestPingBesideFullPool(t *testing.T) {
	s, _ := openWith(t, postgres.WithMaxConns(1), postgres.WithStatementTimeout(time.Second))
	started, release := make(chan struct{}), make(chan struct{})
	records := func(yield func(quant.Trade, error) bool) {
		close(started)
		<-release
		yield(quant.Trade{}, io.ErrUnexpectedEOF)
	}
	done := make(chan error, 1)
	go func() {
		_, err := s.Import(context.Background(), quant.ImportInfo{Source: "held", Fingerprint: "f"}, iter.Seq2[quant.Trade, error](records))
		done <- err
	}()
	t.Cleanup(func() {
		close(release)
		<-done
	})
	<-started
	ctx := context.Background()
	if err := s.Ping(ctx); err != nil {
		t.Errorf("Ping with the pool full = %v, want nil", err)
	}
	if _, err := s.Trades(ctx, quant.TradeQuery{Limit: 1}); !errors.Is(err, quant.ErrUnavailable) {
		t.Errorf("Trades with the pool full = %v, want ErrUnavailable", err)
	}
}
