// Package redistest gives tests the Redis servers they run against: the
// shared one of `make test` (QUANT_TEST_REDIS_URL), private redis-server
// processes that a test may stop and restart, a private Redis Cluster
// (StartCluster) and a private master behind Redis Sentinel
// (StartSentinel).
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
	tb    testing.TB
	Port  int
	dir   string
	args  []string // redis-server's arguments
	ready string   // the log line that says it accepts connections
	cmd   *exec.Cmd
}

// Start runs a redis-server on a free port, without persistence, and waits
// until it accepts connections. It skips the test when redis-server is not
// installed. The server is stopped when the test ends. args are added to
// redis-server's command line ("--replicaof", "127.0.0.1 6379", say).
func Start(tb testing.TB, args ...string) *Server {
	tb.Helper()
	need(tb, "redis-server")
	port, dir := FreePort(tb), tb.TempDir()
	return start(tb, port, dir, "Ready to accept connections", append([]string{
		"--bind", "127.0.0.1", "--port", strconv.Itoa(port),
		"--save", "", "--appendonly", "no", "--dir", dir, "--logfile", "",
	}, args...))
}

// start runs redis-server with args until the test ends.
func start(tb testing.TB, port int, dir, ready string, args []string) *Server {
	tb.Helper()
	s := &Server{tb: tb, Port: port, dir: dir, args: args, ready: ready}
	s.Restart()
	tb.Cleanup(s.Stop)
	return s
}

// need skips the test when a program is not installed.
func need(tb testing.TB, programs ...string) {
	tb.Helper()
	for _, p := range programs {
		if _, err := exec.LookPath(p); err != nil {
			tb.Skipf("%s not installed: run make test (it installs redis-server and redis-cli), or apt-get install redis-server", p)
		}
	}
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

// Addr returns the server's host:port.
func (s *Server) Addr() string { return fmt.Sprintf("127.0.0.1:%d", s.Port) }

// Restart starts the server again on the same port (empty) and waits until
// it logs that it accepts connections.
func (s *Server) Restart() {
	s.tb.Helper()
	s.Stop()
	cmd := exec.Command("redis-server", s.args...)
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
			if strings.Contains(sc.Text(), s.ready) {
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
