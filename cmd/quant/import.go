package main

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"
	"time"

	"github.com/quantops/quant/internal/ingest"
	"github.com/spf13/cobra"
)

func newImportCmd() *cobra.Command {
	var (
		databaseURL string
		jsonOut     bool
		force       bool
		format      string
		rejectsPath string
	)
	cmd := &cobra.Command{
		Use:   "import FILE...",
		Short: "Load disclosure files into the configured store and summarize them",
		Long: `Load Senate Stock Watcher (CSV or JSON) or House Stock Watcher (JSON)
disclosure files into the store.

With --database-url (QUANT_DATABASE_URL) the records go to PostgreSQL: each
file is one all-or-nothing transaction, and a file already imported (same
content fingerprint) is skipped unless --force, which replaces its earlier
records. Without a database the files are loaded into a throwaway
in-memory store: a dry run that validates them and prints the summary.

Every rejected record is reported with its reason and CSV line or JSON
index; the good records are kept. --rejects FILE writes every reject as one
JSON line (the summary lists the first 10,000).`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			var f ingest.Format
			switch format {
			case "auto":
			case "csv":
				f = ingest.FormatCSV
			case "json":
				f = ingest.FormatJSON
			default:
				return fmt.Errorf("--format %q: want auto, csv or json", format)
			}
			log, err := newLogger(cmd, cmd.ErrOrStderr())
			if err != nil {
				return err
			}
			ctx := cmd.Context()
			st, err := openStore(ctx, databaseURL, log)
			if err != nil {
				return err
			}
			defer st.Close()
			opt := loadOptions{Force: force, Format: f}
			var current string // the file being imported, for --rejects
			if isTerminal(cmd.ErrOrStderr()) {
				opt.Progress = cmd.ErrOrStderr()
			}
			if rejectsPath != "" {
				rf, err := os.Create(rejectsPath)
				if err != nil {
					return fmt.Errorf("--rejects: %w", err)
				}
				defer rf.Close()
				enc := json.NewEncoder(rf)
				opt.OnReject = func(r ingest.Reject) {
					enc.Encode(struct {
						File string `json:"file"`
						ingest.Reject
					}{current, r})
				}
			}
			var results []importOutcome
			failed := 0
			for _, path := range args {
				current = path
				res, err := loadFile(ctx, st, path, opt)
				if err != nil {
					failed++
					fmt.Fprintf(cmd.ErrOrStderr(), "quant import: %v (nothing from this file was stored)\n", err)
					results = append(results, importOutcome{res: loadResult{Path: path}, err: err})
					if ctx.Err() != nil {
						break
					}
					continue
				}
				results = append(results, importOutcome{res: res})
				if !jsonOut {
					printSummary(cmd.OutOrStdout(), res, st.Stats().Backend)
				}
			}
			if jsonOut {
				if err := printJSON(cmd.OutOrStdout(), results, st.Stats().Backend); err != nil {
					return err
				}
			}
			if failed > 0 {
				return &exitError{code: 1}
			}
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&databaseURL, "database-url", "", "PostgreSQL URL; empty validates the files in memory only")
	f.BoolVar(&jsonOut, "json", false, "print one JSON object with every file's summary")
	f.BoolVar(&force, "force", false, "re-import a file already imported, replacing its earlier records")
	f.StringVar(&format, "format", "auto", "file format: auto, csv or json")
	f.StringVar(&rejectsPath, "rejects", "", "write every rejected record to this file as JSON lines")
	return cmd
}

// printSummary writes a file's import summary for a human.
func printSummary(w io.Writer, res loadResult, backend string) {
	s := res.Summary
	if res.Skipped {
		fmt.Fprintf(w, "%s: already imported, skipped (use --force to replace it)\n", res.Path)
		return
	}
	fmt.Fprintf(w, "%s: %d records stored, %d rejected, of %d rows (%s, %s store, dataset version %d)\n",
		res.Path, s.Records, s.Rejected, s.RowsRead, res.Duration.Round(time.Millisecond), backend, res.Result.DatasetVersion)
	if res.Result.Replaced > 0 {
		fmt.Fprintf(w, "  replaced %d records of the earlier import of this file\n", res.Result.Replaced)
	}
	fmt.Fprintf(w, "  politicians: %d (%d with analyzable records); analyzable records: %d; unknown type: %d\n",
		s.Politicians, s.PoliticiansWithAnalyzable, s.AnalyzableRecords, s.UnknownTypeRecords)
	if s.AxisStart != nil {
		fmt.Fprintf(w, "  weeks: %d (%s .. %s)\n", s.T, *s.AxisStart, *s.AxisEnd)
	}
	if s.Rejected == 0 {
		return
	}
	var reasons []string
	for _, r := range ingest.Reasons {
		if n := s.RejectsByReason[r]; n > 0 {
			reasons = append(reasons, fmt.Sprintf("%s %d", r, n))
		}
	}
	sort.Strings(reasons)
	fmt.Fprintf(w, "  rejects: %s\n", strings.Join(reasons, ", "))
	for _, r := range s.Rejects {
		fmt.Fprintf(w, "    %s: %s: %s\n", r.Position(), r.Reason, r.Detail)
	}
	if s.RejectsTruncated {
		fmt.Fprintf(w, "    ... %d more (use --rejects FILE for all)\n", s.Rejected-len(s.Rejects))
	}
}

// printJSON writes every file's summary as one JSON object.
// importOutcome is one file of quant import: its result, or why nothing
// of it was stored.
type importOutcome struct {
	res loadResult
	err error
}

func printJSON(w io.Writer, results []importOutcome, backend string) error {
	type fileJSON struct {
		File           string          `json:"file"`
		Error          string          `json:"error,omitempty"` // nothing from the file was stored
		Skipped        bool            `json:"skipped"`
		Replaced       int             `json:"replaced"`
		DatasetVersion int64           `json:"dataset_version,string"`
		DurationMS     float64         `json:"duration_ms"`
		Summary        *ingest.Summary `json:"summary"`
	}
	out := struct {
		Store string     `json:"store"`
		Files []fileJSON `json:"files"`
	}{Store: backend, Files: []fileJSON{}}
	for _, o := range results {
		r := o.res
		f := fileJSON{
			File: r.Path, Skipped: r.Skipped, Replaced: r.Result.Replaced, DatasetVersion: r.Result.DatasetVersion,
			DurationMS: float64(r.Duration.Microseconds()) / 1000, Summary: r.Summary,
		}
		if o.err != nil {
			f.Error = o.err.Error()
		}
		out.Files = append(out.Files, f)
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(out)
}
