package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/quantops/quant/internal/monitor"
	"github.com/quantops/quant/internal/tui"
	"github.com/spf13/cobra"
)

// consoleFlags are the console's own settings; the embedded server takes
// serve's.
type consoleFlags struct {
	attach, apiURL, token string
	readOnly, noColor     bool
	refresh               time.Duration
	logFile               string
}

func (f *consoleFlags) add(cmd *cobra.Command) {
	fl := cmd.Flags()
	fl.StringVar(&f.attach, "attach", "", "attach to a running server instead of starting one: its admin API (http://host:9090) or its API (http://host:8080, the admin API then on port 9090)")
	fl.StringVar(&f.apiURL, "api-url", "", "with --attach: the server's public API, for bursts (default: the attach host on port 8080)")
	fl.StringVar(&f.token, "token", "", "with --attach: the admin API's bearer token (default $QUANT_ADMIN_TOKEN)")
	fl.BoolVar(&f.readOnly, "readonly", false, "watch only: no flush, breaker or burst keys")
	fl.BoolVar(&f.noColor, "no-color", false, "draw without colour (also when NO_COLOR is set)")
	fl.DurationVar(&f.refresh, "refresh", tui.DefaultRefresh, "time between snapshots")
	fl.StringVar(&f.logFile, "log-file", "", "with the embedded server: write its logs here (default: quant-console-UID.log in the temporary directory, one per user)")
}

func newConsoleCmd(serve *cobra.Command, cfg *serveConfig, cf *consoleFlags) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "console",
		Short: "The operations console: the embedded server, or --attach to a running one",
		Long: `Open the operations console in this terminal: live queues, breakers, the
cache, the store pool, request rates and latencies, with keys to flush the
cache, trip or reset breakers and fire test bursts (press ? for help).

Without --attach the console starts the server in this process (it takes
quant serve's flags) and logs to a file; with --attach it watches a server
elsewhere through its admin API (over SSH, from another terminal, or a
container: docker compose publishes it on 127.0.0.1:9090).`,
		Example: `  quant                                   # embedded server + console
  quant console --attach http://127.0.0.1:9090 --token "$QUANT_ADMIN_TOKEN"`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error { return runConsole(cmd, cfg, cf, true) },
	}
	cmd.Flags().AddFlagSet(serve.Flags())
	cf.add(cmd)
	return cmd
}

// isPublicAPI reports whether base answers like quant's public API (its
// /readyz) rather than its admin API (which has no /readyz).
func isPublicAPI(ctx context.Context, base string) bool {
	ctx, cancel := context.WithTimeout(ctx, 3*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, base+"/readyz", nil)
	if err != nil {
		return false
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return false
	}
	resp.Body.Close()
	return resp.StatusCode == http.StatusOK || resp.StatusCode == http.StatusServiceUnavailable
}

// runConsole runs the console. When the terminal is missing: an explicit
// `quant console` fails; `quant` alone (explicit false) serves headless.
func runConsole(cmd *cobra.Command, cfg *serveConfig, cf *consoleFlags, explicit bool) error {
	ctx := cmd.Context()
	out := cmd.OutOrStdout()
	if !isTerminal(out) || !isTerminal(cmd.InOrStdin()) {
		// Console-only flags ask for a console: serving instead would
		// start a second server where the operator meant to watch one
		// (ssh host quant --attach ... without -t).
		if explicit || cf.attach != "" || cf.token != "" || cf.readOnly {
			return errors.New("the console needs a terminal (use ssh -t for a remote one, or quant serve to run headless)")
		}
		log, err := newLogger(cmd, cmd.ErrOrStderr())
		if err != nil {
			return err
		}
		log.Info("no terminal: serving headless (quant serve); attach a console with quant console --attach")
		if err := cfg.Validate(); err != nil {
			return err
		}
		return runServe(ctx, cfg, log)
	}
	noColor := cf.noColor || os.Getenv("NO_COLOR") != ""
	if cf.refresh < 100*time.Millisecond {
		return fmt.Errorf("--refresh must be at least 100ms, got %v", cf.refresh)
	}
	opts := tui.Options{Refresh: cf.refresh, ReadOnly: cf.readOnly, NoColor: noColor}
	if cf.attach != "" {
		u, err := url.Parse(cf.attach)
		if err != nil || u.Scheme == "" || u.Host == "" {
			return fmt.Errorf("--attach %q: want http://host:9090", cf.attach)
		}
		token := cf.token
		if token == "" {
			token = os.Getenv("QUANT_ADMIN_TOKEN")
		}
		admin, api := strings.TrimRight(cf.attach, "/"), cf.apiURL
		if isPublicAPI(ctx, admin) {
			// The operator gave the public API (http://host:8080): the
			// admin API is on the same host, port 9090 by default. An
			// explicit --api-url stays.
			if api == "" {
				api = admin
			}
			admin = u.Scheme + "://" + net.JoinHostPort(u.Hostname(), "9090")
		}
		if api == "" {
			api = u.Scheme + "://" + net.JoinHostPort(u.Hostname(), "8080")
		}
		opts.Source = monitor.NewRemoteSource(admin, strings.TrimRight(api, "/"), token, 0)
		return tui.Run(ctx, opts, cmd.InOrStdin(), out)
	}
	if err := cfg.Validate(); err != nil {
		return err
	}
	path := cf.logFile
	if path == "" {
		// One file per user: on a shared host another user's file (mode
		// 0600) would refuse this one.
		path = filepath.Join(os.TempDir(), fmt.Sprintf("quant-console-%d.log", os.Getuid()))
	}
	lf, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return fmt.Errorf("--log-file: %w", err)
	}
	defer lf.Close()
	log, err := newLogger(cmd, io.Writer(lf))
	if err != nil {
		return err
	}
	fmt.Fprintf(cmd.ErrOrStderr(), "starting the server (logs: %s)...\n", path)
	return serveWith(ctx, cfg, log, func(local *monitor.Local, apiURL string) error {
		opts.Source = &monitor.LocalSource{Local: local, APIURL: apiURL}
		return tui.Run(ctx, opts, cmd.InOrStdin(), out)
	})
}
