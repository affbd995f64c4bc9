package server

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"sync"
	"syscall"
	"testing"
	"time"
)

// slowClients is the number of slowloris connections the tests hold.
const slowClients = 500

// servedAPI serves s on a loopback port through HTTPServer and Serve, as
// quant serve does, and returns its address and a channel that receives
// each connection the server accepts.
func servedAPI(t *testing.T, s *Server) (addr string, accepted <-chan struct{}) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	acc := make(chan struct{}, 4*slowClients)
	srv := s.HTTPServer(ln.Addr().String())
	srv.ConnState = func(_ net.Conn, st http.ConnState) {
		if st == http.StateNew {
			acc <- struct{}{}
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- Serve(ctx, srv, ln, 5*time.Second) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Serve: %v", err)
		}
	})
	return ln.Addr().String(), acc
}

// slowloris holds n connections to addr that send a request's headers one
// byte at a time and never finish them. cut receives, for each connection
// the server closes, the error its read returned.
type slowloris struct {
	mu    sync.Mutex
	conns []net.Conn // guarded by mu
	cut   chan error
	stop  chan struct{}
	done  sync.WaitGroup
}

func startSlowloris(t *testing.T, addr string, n int) *slowloris {
	t.Helper()
	sl := &slowloris{cut: make(chan error, n), stop: make(chan struct{})}
	for i := range n {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatalf("slow connection %d: %v", i, err)
		}
		if _, err := fmt.Fprintf(c, "GET /api/v1/politicians HTTP/1.1\r\nHost: quant\r\nX-Slow-%d: ", i); err != nil {
			t.Fatalf("slow connection %d: %v", i, err)
		}
		sl.conns = append(sl.conns, c)
		sl.done.Add(1)
		go func() {
			defer sl.done.Done()
			// The server never answers a request whose headers never end: a
			// read returns only when the connection is closed.
			_, err := c.Read(make([]byte, 1))
			select {
			case <-sl.stop: // closed by the test
			default:
				sl.cut <- err
			}
		}()
	}
	// The attack's pace, not synchronisation: one more header byte on every
	// connection each 50 ms, each of which would reset a per-read timeout.
	sl.done.Add(1)
	go func() {
		defer sl.done.Done()
		tick := time.NewTicker(50 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-sl.stop:
				return
			case <-tick.C:
			}
			sl.mu.Lock()
			for _, c := range sl.conns {
				c.Write([]byte("a"))
			}
			sl.mu.Unlock()
		}
	}()
	t.Cleanup(sl.close)
	return sl
}

func (sl *slowloris) close() {
	select {
	case <-sl.stop:
		return
	default:
	}
	close(sl.stop)
	sl.mu.Lock()
	for _, c := range sl.conns {
		c.Close()
	}
	sl.mu.Unlock()
	sl.done.Wait()
}

// waitAccepted waits until the server has accepted n connections.
func waitAccepted(t *testing.T, accepted <-chan struct{}, n int) {
	t.Helper()
	guard := time.NewTimer(time.Minute) // a failure guard, not a pace
	defer guard.Stop()
	for i := range n {
		select {
		case <-accepted:
		case <-guard.C:
			t.Fatalf("the server accepted %d of %d connections in a minute", i, n)
		}
	}
}

// normalRequests sends n requests for path from 4 clients, each on a new
// connection, and returns how many were not answered 200 and the first
// error.
func normalRequests(addr, path string, n int) (failed int, first error) {
	client := &http.Client{Timeout: time.Minute, Transport: &http.Transport{DisableKeepAlives: true}}
	var mu sync.Mutex
	var wg sync.WaitGroup
	jobs := make(chan int)
	for range 4 {
		wg.Go(func() {
			for range jobs {
				err := func() error {
					resp, err := client.Get("http://" + addr + path)
					if err != nil {
						return err
					}
					defer resp.Body.Close()
					io.Copy(io.Discard, resp.Body)
					if resp.StatusCode != http.StatusOK {
						return fmt.Errorf("GET %s: status %d", path, resp.StatusCode)
					}
					return nil
				}()
				if err != nil {
					mu.Lock()
					failed++
					if first == nil {
						first = err
					}
					mu.Unlock()
				}
			}
		})
	}
	for i := range n {
		jobs <- i
	}
	close(jobs)
	wg.Wait()
	return failed, first
}

// TestSlowloris holds 500 connections that trickle their headers and
// checks that normal requests are answered meanwhile, and that when the
// slow connections fill every connection slot, the read-header timeout
// frees them for normal requests.
func TestSlowloris(t *testing.T) {
	t.Run("held", func(t *testing.T) {
		// A timeout long enough that the attack is surely held throughout.
		s := New(Config{Store: fixtureStore(t), ReadHeaderTimeout: time.Minute})
		addr, accepted := servedAPI(t, s)
		sl := startSlowloris(t, addr, slowClients)
		waitAccepted(t, accepted, slowClients)
		if n := s.Limits().Conns; n < slowClients {
			t.Fatalf("Limits().Conns = %d with %d slow connections", n, slowClients)
		}
		if failed, err := normalRequests(addr, "/api/v1/politicians", 200); failed > 0 {
			t.Errorf("%d of 200 normal requests failed while %d slow connections were held: %v", failed, slowClients, err)
		}
		if len(sl.cut) > 0 {
			t.Errorf("%d slow connections were cut before the read-header timeout", len(sl.cut))
		}
	})

	t.Run("saturated", func(t *testing.T) {
		// Every slot is taken by a slow connection: normal requests wait in
		// the accept queue until the read-header timeout cuts them.
		s := New(Config{Store: fixtureStore(t), ReadHeaderTimeout: 500 * time.Millisecond, MaxConns: slowClients})
		addr, accepted := servedAPI(t, s)
		sl := startSlowloris(t, addr, slowClients)
		waitAccepted(t, accepted, slowClients)
		if n := s.Limits().Conns; n != slowClients {
			t.Fatalf("Limits().Conns = %d, want %d (every slot)", n, slowClients)
		}
		if failed, err := normalRequests(addr, "/api/v1/politicians", 50); failed > 0 {
			t.Errorf("%d of 50 normal requests failed behind %d slow connections: %v", failed, slowClients, err)
		}
		for i := range slowClients {
			err := <-sl.cut // every one is cut, however slow the machine
			if !errors.Is(err, io.EOF) && !errors.Is(err, syscall.ECONNRESET) {
				t.Fatalf("slow connection %d: read %v, want EOF or reset from the server", i, err)
			}
		}
	})
}
