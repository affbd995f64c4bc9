package main

import (
	"fmt"
	"io"
	"log/slog"
	"os"
	"runtime"
	"runtime/debug"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
	"golang.org/x/term"
)

func newRootCmd() *cobra.Command {
	root := &cobra.Command{
		Use:   "quant",
		Short: "Analytics over US politicians' stock-trade disclosures, served under load",
		Long: `quant serves analytics over US politicians' stock-trade disclosures
(STOCK Act filings) through an HTTP API.

With no command, quant is 'quant console': the server on its embedded
defaults with the operations console in front (in a terminal; without one
it serves headless, like 'quant serve'). Configuration: flags, then QUANT_* environment variables
(QUANT_ADDR for --addr, QUANT_DATABASE_URL for --database-url, ...), then
defaults.`,
		SilenceUsage:  true,
		SilenceErrors: true,
		Args:          cobra.NoArgs,
	}
	serve, cfg := newServeCmd()
	// `quant` alone is the console over an embedded server, with serve's
	// flags and the console's.
	cf := &consoleFlags{}
	root.Flags().AddFlagSet(serve.Flags())
	cf.add(root)
	root.RunE = func(cmd *cobra.Command, args []string) error { return runConsole(cmd, cfg, cf, false) }
	console := newConsoleCmd(serve, cfg, &consoleFlags{})
	root.PersistentFlags().String("log-level", "info", "log level: debug, info, warn or error")
	root.PersistentFlags().String("log-format", "auto", "log format: text, json, or auto (text on a terminal, else json)")
	root.AddCommand(serve, console, newImportCmd(), newGenCmd(), newMigrateCmd(), newVersionCmd(), newHealthCmd(), newWarmCmd(), newBurstCmd(), newComplianceCmd())
	root.PersistentPreRunE = func(cmd *cobra.Command, args []string) error {
		return applyEnv(cmd.Flags())
	}
	return root
}

// applyEnv sets every flag the command line did not set from its QUANT_*
// environment variable (--database-url reads QUANT_DATABASE_URL).
func applyEnv(fs *pflag.FlagSet) error {
	var err error
	fs.VisitAll(func(f *pflag.Flag) {
		if f.Changed || err != nil {
			return
		}
		name := envName(f.Name)
		v, ok := os.LookupEnv(name)
		if !ok {
			return
		}
		if sv, isSlice := f.Value.(pflag.SliceValue); isSlice {
			err = sv.Replace(strings.Split(v, ","))
		} else {
			err = f.Value.Set(v)
		}
		if err != nil {
			err = fmt.Errorf("environment %s=%q: %w", name, redact(f.Name, v), err)
		}
	})
	return err
}

// envName is the environment variable read for a flag.
func envName(flag string) string {
	return "QUANT_" + strings.ToUpper(strings.ReplaceAll(flag, "-", "_"))
}

// newLogger builds the one logger of the process from the log flags, its
// lines under the log's conventions (logHandler: each key once, durations
// in milliseconds).
func newLogger(cmd *cobra.Command, w io.Writer) (*slog.Logger, error) {
	levelName, _ := cmd.Flags().GetString("log-level")
	format, _ := cmd.Flags().GetString("log-format")
	var level slog.Level
	if err := level.UnmarshalText([]byte(levelName)); err != nil {
		return nil, fmt.Errorf("--log-level: %q is not debug, info, warn or error", levelName)
	}
	opts := &slog.HandlerOptions{Level: level}
	var h slog.Handler
	switch format {
	case "auto":
		if f, ok := w.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
			h = slog.NewTextHandler(w, opts)
		} else {
			h = slog.NewJSONHandler(w, opts)
		}
	case "text":
		h = slog.NewTextHandler(w, opts)
	case "json":
		h = slog.NewJSONHandler(w, opts)
	default:
		return nil, fmt.Errorf("--log-format: %q is not text, json or auto", format)
	}
	return slog.New(newLogHandler(h)), nil
}

func newVersionCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print the version of quant and of the Go toolchain that built it",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			fmt.Fprintf(cmd.OutOrStdout(), "quant %s (%s, %s/%s)\n", buildVersion(), runtime.Version(), runtime.GOOS, runtime.GOARCH)
			return nil
		},
	}
}

// buildVersion is the -ldflags version, else the module version or VCS
// revision the binary was built from.
func buildVersion() string {
	if version != "dev" {
		return version
	}
	if bi, ok := debug.ReadBuildInfo(); ok {
		if bi.Main.Version != "" && bi.Main.Version != "(devel)" {
			return bi.Main.Version
		}
		for _, s := range bi.Settings {
			if s.Key == "vcs.revision" && len(s.Value) >= 12 {
				return "dev-" + s.Value[:12]
			}
		}
	}
	return version
}

// isTerminal reports whether w is a terminal.
func isTerminal(w any) bool {
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}
