// Package redistest gives tests the Redis servers they run against: the
// shared one of `make test` (QUANT_TEST_REDIS_URL) and private
// redis-server processes that a test may stop and restart.
package redistest

import (
	"bufio"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"
)

// EnvURL names the environment variable holding the test Redis' URL.
const EnvURL = "QUANT_TEST_REDIS_URL"

// URL returns the URL of the Redis that `make test` starts, or skips the
// test when there is none.
func URL(tb testing.TB) string {
	tb.Helper()
	u := os.Getenv(EnvURL)
	if u == "" {
		tb.Skip("no Redis: run make test or set " + EnvURL)
	}
	return u
}

// Prefix returns a key prefix unique to this test run, so that tests that
// share a Redis never meet: "test-<name>-<random>:".
func Prefix(tb testing.TB) string {
	tb.Helper()
	var b [6]byte
	if _, err := rand.Read(b[:]); err != nil {
		tb.Fatal(err)
	}
	name := strings.NewReplacer("/", "-", " ", "_", "*", "_").Replace(tb.Name())
	return "test-" + name + "-" + hex.EncodeToString(b[:]) + ":"
}

// FreePort returns a loopback TCP port that nothing listened on a moment
// ago; connecting to it is refused.
func FreePort(tb testing.TB) int {
	tb.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()
	return port
}

// Server is a private redis-server process on a loopback port.
type Server struct {
	tb   testing.TB
	Port int
	dir  string
	cmd  *exec.Cmd
}

// Start runs a redis-server on a free port, without persistence, and waits
// until it accepts connections. It skips the test when redis-server is not
// installed. The server is stopped when the test ends.
func Start(tb testing.TB) *Server {
	tb.Helper()
	if _, err := exec.LookPath("redis-server"); err != nil {
		tb.Skip("redis-server not installed: run make test (it installs it)")
	}
	s := &Server{tb: tb, Port: FreePort(tb), dir: tb.TempDir()}
	s.Restart()
	tb.Cleanup(s.Stop)
	return s
}

// URL returns the server's redis:// URL.
func (s *Server) URL() string { return fmt.Sprintf("redis://127.0.0.1:%d/0", s.Port) }

// Stop kills the server and waits for it to exit. Stopping a stopped
// server does nothing.
func (s *Server) Stop() {
	if s.cmd == nil {
		return
	}
	s.cmd.Process.Kill()
	s.cmd.Wait()
	s.cmd = nil
}

// Restart starts the server again on the same port (empty) and waits until
// it logs that it accepts connections.
func (s *Server) Restart() {
	s.tb.Helper()
	s.Stop()
	cmd := exec.Command("redis-server", "--bind", "127.0.0.1", "--port", strconv.Itoa(s.Port),
		"--save", "", "--appendonly", "no", "--dir", s.dir, "--logfile", "")
	out, err := cmd.StdoutPipe()
	if err != nil {
		s.tb.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		s.tb.Fatalf("start redis-server: %v", err)
	}
	s.cmd = cmd
	ready := make(chan error, 1)
	go func() {
		sc := bufio.NewScanner(out)
		var last []string
		for sc.Scan() {
			if strings.Contains(sc.Text(), "Ready to accept connections") {
				ready <- nil
				for sc.Scan() { // drain, so the server never blocks on its log
				}
				return
			}
			last = append(last, sc.Text())
		}
		ready <- fmt.Errorf("redis-server exited before it was ready:\n%s", strings.Join(last, "\n"))
	}()
	select {
	case err := <-ready:
		if err != nil {
			s.tb.Fatal(err)
		}
	case <-time.After(30 * time.Second):
		s.tb.Fatal("redis-server not ready after 30s")
	}
}
