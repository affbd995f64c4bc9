// Command quant serves analytics over US politicians' stock-trade
// disclosures through an HTTP API, imports and generates disclosure data,
// protects the API under load and shows an operator's console. Run
// `quant --help` for the commands.
//
// This package only parses flags and wires the internal packages together.
package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"syscall"
)

// version is set at build time with -ldflags "-X main.version=...".
var version = "dev"

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	// The first signal cancels ctx and commands wind down (a burst stops
	// and reports what it sent); stopping the notification then restores
	// the default action, so a second Ctrl-C kills a wind-down that hangs.
	context.AfterFunc(ctx, stop)
	err := newRootCmd().ExecuteContext(ctx)
	stop()
	if err != nil {
		var ee *exitError
		if errors.As(err, &ee) {
			os.Exit(ee.code)
		}
		fmt.Fprintln(os.Stderr, "quant:", err)
		os.Exit(1)
	}
}

// exitError ends the process with a status after the command has already
// reported what went wrong.
type exitError struct{ code int }

func (e *exitError) Error() string { return fmt.Sprintf("exit status %d", e.code) }
