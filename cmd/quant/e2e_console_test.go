package main

import (
	"bytes"
	"context"
	"io"
	"os/exec"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/creack/pty"
)

// ansi matches terminal escape sequences, to read the screen as text.
var ansi = regexp.MustCompile(`\x1b\[[0-9;?]*[ -/]*[@-~]|\x1b\][^\x07]*\x07|\x1b[()][A-Z0-9]|\x1b[=>]`)

// ptyOutput collects what a program writes to its terminal.
type ptyOutput struct{ lockedBuffer }

// text is the output so far without its escape sequences.
func (o *ptyOutput) text() string { return ansi.ReplaceAllString(o.String(), "") }

// TestE2EConsole runs `quant` (the embedded server and the console) in a
// pseudo-terminal of 120x40, as an operator would: the panels appear, the
// help overlay opens, a burst runs after its confirmation, q quits.
func TestE2EConsole(t *testing.T) {
	cmd := exec.Command(quantBin(t), "--addr", freeAddr(t), "--admin-addr", freeAddr(t), "--log-file", t.TempDir()+"/console.log")
	cmd.Env = append(cmd.Environ(), "TERM=xterm-256color", "NO_COLOR=1")
	tty, err := pty.StartWithSize(cmd, &pty.Winsize{Rows: 40, Cols: 120})
	if err != nil {
		t.Fatal(err)
	}
	defer tty.Close()
	out := &ptyOutput{}
	go io.Copy(out, tty)
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	t.Cleanup(func() {
		cmd.Process.Signal(syscall.SIGKILL)
	})
	waitFor := func(what string) {
		t.Helper()
		deadline := time.Now().Add(30 * time.Second)
		for !strings.Contains(out.text(), what) {
			if time.Now().After(deadline) {
				t.Fatalf("the console never showed %q; screen:\n%s", what, tail(out.text(), 3000))
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
	for _, panel := range []string{"Pools", "Breakers", "Cache", "Store", "Requests", "Burst"} {
		waitFor(panel)
	}
	tty.Write([]byte("?"))
	waitFor("flush")
	tty.Write([]byte("?"))
	tty.Write([]byte("b"))
	waitFor("y/N")
	tty.Write([]byte("y"))
	waitFor("success 100.0%")
	tty.Write([]byte("q"))
	select {
	case err := <-exited:
		if err != nil {
			t.Errorf("quant exited with %v after q", err)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("quant did not exit after q")
	}
}

func tail(s string, n int) string {
	if len(s) > n {
		return s[len(s)-n:]
	}
	return s
}

// Console-only flags without a terminal fail, rather than start a server
// where the operator meant to watch one (ssh host quant --attach ...
// without -t used to serve on :8080 and :9090).
func TestE2EAttachWithoutTerminal(t *testing.T) {
	for _, args := range [][]string{{"--attach", "http://127.0.0.1:1"}, {"--readonly"}, {"console", "--attach", "http://127.0.0.1:1"}} {
		// Bounded: the bug this guards against serves until stopped.
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		cmd := exec.CommandContext(ctx, quantBin(t), append([]string{"--addr", freeAddr(t), "--admin-addr", freeAddr(t)}, args...)...)
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		err := cmd.Run()
		timedOut := ctx.Err() != nil
		cancel()
		if err == nil || timedOut || !strings.Contains(stderr.String(), "needs a terminal") {
			t.Errorf("quant %v without a terminal: %v (killed after a minute: %v), stderr %q; want a failure naming the terminal", args, err, timedOut, stderr.String())
		}
	}
}
