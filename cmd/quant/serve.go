package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"time"

	"github.com/quantops/quant/internal/ensemble"
	"github.com/quantops/quant/internal/ingest"
	"github.com/quantops/quant/internal/inmem"
	"github.com/quantops/quant/internal/postgres"
	"github.com/quantops/quant/internal/quant"
	"github.com/quantops/quant/internal/server"
	"github.com/spf13/cobra"
)

// serveConfig is the configuration of `quant serve`.
type serveConfig struct {
	Addr          string
	Data          []string
	DatabaseURL   string
	Gen           ingest.GenConfig
	ShutdownGrace time.Duration
}

// Validate reports the first setting that cannot work, by its flag name.
func (c *serveConfig) Validate() error {
	if _, _, err := net.SplitHostPort(c.Addr); err != nil {
		return fmt.Errorf("--addr %q: want host:port (\":8080\", \"127.0.0.1:8080\"): %v", c.Addr, err)
	}
	for _, f := range c.Data {
		if st, err := os.Stat(f); err != nil {
			return fmt.Errorf("--data %q: %w", f, err)
		} else if st.IsDir() {
			return fmt.Errorf("--data %q: is a directory, want a disclosure file", f)
		}
	}
	if c.Gen.Politicians < 1 || c.Gen.Trades < 0 {
		return fmt.Errorf("--gen-politicians must be >= 1 and --gen-trades >= 0 (got %d, %d)", c.Gen.Politicians, c.Gen.Trades)
	}
	if c.ShutdownGrace <= 0 {
		return fmt.Errorf("--shutdown-grace must be positive, got %v", c.ShutdownGrace)
	}
	return nil
}

func newServeCmd() *cobra.Command {
	cfg := &serveConfig{}
	cmd := &cobra.Command{
		Use:   "serve",
		Short: "Run the HTTP API headless (for containers and remote consoles)",
		Long: `Run the HTTP API until SIGINT or SIGTERM, then shut down gracefully.

The trade store is PostgreSQL when --database-url (QUANT_DATABASE_URL) is
set: migrations are applied on start and --data files are imported once
(a file already imported is skipped). Otherwise the store is in memory,
loaded from the --data files, or, with none, from a built-in deterministic
synthetic dataset (--gen-politicians, --gen-trades, --gen-seed).`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := cfg.Validate(); err != nil {
				return err
			}
			log, err := newLogger(cmd, cmd.ErrOrStderr())
			if err != nil {
				return err
			}
			return runServe(cmd.Context(), cfg, log)
		},
	}
	f := cmd.Flags()
	f.StringVar(&cfg.Addr, "addr", ":8080", "listen address of the HTTP API")
	f.StringArrayVar(&cfg.Data, "data", nil, "disclosure file to load (Senate/House Stock Watcher CSV or JSON); repeatable")
	f.StringVar(&cfg.DatabaseURL, "database-url", "", "PostgreSQL URL (postgres://user:pass@host:5432/db); empty keeps trades in memory")
	f.IntVar(&cfg.Gen.Politicians, "gen-politicians", defaultGenPoliticians, "politicians in the built-in synthetic dataset")
	f.IntVar(&cfg.Gen.Trades, "gen-trades", defaultGenTrades, "trades in the built-in synthetic dataset")
	f.Uint64Var(&cfg.Gen.Seed, "gen-seed", defaultGenSeed, "seed of the built-in synthetic dataset")
	f.DurationVar(&cfg.ShutdownGrace, "shutdown-grace", 15*time.Second, "how long requests in flight may finish after SIGTERM")
	return cmd
}

// openStore returns the configured store: PostgreSQL (migrated) when a
// database URL is set, else a new in-memory store.
func openStore(ctx context.Context, databaseURL string, log *slog.Logger) (quant.Store, error) {
	if databaseURL == "" {
		return inmem.New(), nil
	}
	st, err := postgres.Open(ctx, databaseURL)
	if err != nil {
		return nil, fmt.Errorf("open database %s: %w", redactURL(databaseURL), err)
	}
	if err := st.Migrate(ctx); err != nil {
		st.Close()
		return nil, fmt.Errorf("migrate database %s: %w", redactURL(databaseURL), err)
	}
	log.Info("store: postgres", "url", redactURL(databaseURL))
	return st, nil
}

func runServe(ctx context.Context, cfg *serveConfig, log *slog.Logger) error {
	st, err := openStore(ctx, cfg.DatabaseURL, log)
	if err != nil {
		return err
	}
	defer st.Close()
	for _, path := range cfg.Data {
		res, err := loadFile(ctx, st, path, loadOptions{})
		if err != nil {
			return fmt.Errorf("--data: %w", err)
		}
		if res.Skipped {
			log.Info("data file already imported", "file", path)
			continue
		}
		log.Info("data file loaded", "file", path, "records", res.Summary.Records, "rejected", res.Summary.Rejected, "duration", res.Duration.Round(time.Millisecond))
	}
	if len(cfg.Data) == 0 && cfg.DatabaseURL == "" {
		sum, err := loadSynthetic(ctx, st, cfg.Gen)
		if err != nil {
			return fmt.Errorf("built-in dataset: %w", err)
		}
		log.Info("built-in synthetic dataset loaded", "politicians", sum.Politicians, "records", sum.Records, "seed", cfg.Gen.Seed)
	}

	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return fmt.Errorf("--addr: %w", err)
	}
	srv := server.New(server.Config{Store: st, Analyzer: ensemble.NewService(st), Logger: log, Version: buildVersion()})
	log.Info("quant serving", "addr", ln.Addr().String(), "store", st.Stats().Backend, "version", buildVersion())
	err = server.Serve(ctx, srv.HTTPServer(cfg.Addr), ln, cfg.ShutdownGrace)
	if err != nil && !errors.Is(err, context.Canceled) {
		return err
	}
	log.Info("quant stopped")
	return nil
}
