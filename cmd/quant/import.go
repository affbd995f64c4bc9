package main

import (
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/quantops/quant/internal/ingest"
	"github.com/quantops/quant/internal/people"
	"github.com/quantops/quant/internal/quant"
	"github.com/quantops/quant/internal/server"
	"github.com/spf13/cobra"
)

func newImportCmd() *cobra.Command {
	var (
		databaseURL string
		jsonOut     bool
		force       bool
		format      string
		rejectsPath string
		legislators []string
		pg          pgBounds
	)
	cmd := &cobra.Command{
		Use:   "import [FILE...]",
		Short: "Load disclosure files into the configured store and summarize them",
		Long: `Load disclosure files into the store: the Senate's aggregate CSV or
JSON, the Senate's filings JSON or the House JSON (ANALYTICS.md 1.1; a JSON
file may mix them).

With --database-url (QUANT_DATABASE_URL) the records go to PostgreSQL: each
file is one all-or-nothing transaction. A filing already stored is
replaced by the file's records of it (or left alone when they are the
same), so importing tomorrow's cumulative file adds only what is new. A
file already imported (same content fingerprint) is skipped unless
--force. Without a database the files are loaded into a throwaway
in-memory store: a dry run that validates them and prints the summary.

The summary says what each file held (formats, Senate filings with the
paper ones, chambers) and what the store did (records and filings added,
replaced, unchanged; the dataset version). Every rejected record is
reported with its reason and place (CSV line, JSON index, filing and
transaction), and every note (a record stored with an unusable value,
such as a bad disclosure date) with its kind, place and value; the good
records are kept. --rejects FILE writes every reject as one
JSON line (the summary lists the first 10,000).

With --legislators (the congress-legislators YAML or JSON; repeatable) the
table is stored too (in PostgreSQL every instance then reads it), and the
summary ends with the identity of every stored politician id: how many
resolved to a member, and every unresolved id with why (no member matched,
several could be the filer, its records point at different people). The
files are optional then: quant import --legislators FILE only stores the
table. With a table already stored, the identity summary comes anyway.`,
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) == 0 && len(legislators) == 0 {
				return fmt.Errorf("give disclosure files to import, or --legislators FILE to store a legislators table")
			}
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
			// The table is read before any file is imported: a bad one
			// stops the command with nothing stored.
			var table *quant.Legislators
			if len(legislators) > 0 {
				if table, err = people.Load(legislators...); err != nil {
					return fmt.Errorf("--legislators: %w", err)
				}
			}
			if err := pg.check(); err != nil {
				return err
			}
			st, err := openStore(ctx, databaseURL, log, pg.options()...)
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
			var ident *identitySummary
			if table != nil {
				t := table
				changed, _, err := st.SetLegislators(ctx, t)
				if err != nil {
					return fmt.Errorf("--legislators: store the table: %w", err)
				}
				if !jsonOut {
					state := "stored"
					if !changed {
						state = "already stored, unchanged"
					}
					fmt.Fprintf(cmd.OutOrStdout(), "legislators: %d members from %s (%s; digest %s)\n", len(t.Members), strings.Join(t.Sources, ", "), state, short(t.Digest))
				}
			}
			if f, err := st.Filers(ctx); err != nil {
				return fmt.Errorf("identity: %w", err)
			} else if f.Legislators != nil {
				dir, err := people.New(st).Directory(ctx)
				if err != nil {
					return fmt.Errorf("identity: %w", err)
				}
				sum := summarizeIdentity(dir)
				ident = &sum
				if !jsonOut {
					printIdentity(cmd.OutOrStdout(), sum)
				}
			}
			if jsonOut {
				if err := printJSON(cmd.OutOrStdout(), results, st.Stats().Backend, ident); err != nil {
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
	f.StringArrayVar(&legislators, "legislators", nil, legislatorsUsage)
	pg.register(f)
	return cmd
}

// printSummary writes a file's import summary for a human: what the file
// held (formats, filings, chambers, rejects and notes with their places)
// and what the store did with it (records and filings added, replaced or
// unchanged, the dataset version).
func printSummary(w io.Writer, res loadResult, backend string) {
	s := res.Summary
	if res.Skipped {
		fmt.Fprintf(w, "%s: already imported, skipped (use --force to replace it)\n", res.Path)
		return
	}
	r := res.Result
	fmt.Fprintf(w, "%s: %d records stored, %d rejected, of %d rows (%s, %s store, dataset version %d)\n",
		res.Path, s.Records, s.Rejected, s.RowsRead, res.Duration.Round(time.Millisecond), backend, r.DatasetVersion)
	if r.Changed {
		fmt.Fprintf(w, "  store: %d records replaced, %d unchanged; %d filings: %d added, %d replaced, %d unchanged\n",
			r.Replaced, r.Unchanged, r.Filings, r.FilingsAdded, r.FilingsReplaced, r.FilingsUnchanged)
	} else {
		fmt.Fprintf(w, "  store: nothing changed (%d filings already stored as brought); the dataset version stays\n", r.FilingsUnchanged)
	}
	if len(s.Sources) > 0 {
		src := s.Sources[0]
		fmt.Fprintf(w, "  file: %s, %d elements (%s)\n", src.Content, src.Elements, counts(src.ByFormat))
	}
	if s.Filings > 0 {
		fmt.Fprintf(w, "  senate filings: %d (%d with no transaction: paper filings)\n", s.Filings, s.EmptyFilings)
	}
	if len(s.RecordsByChamber) > 0 {
		fmt.Fprintf(w, "  chambers: %s; with a disclosure date: %d\n", counts(s.RecordsByChamber), s.RecordsWithDisclosureDate)
	}
	fmt.Fprintf(w, "  politicians: %d (%d with analyzable records); analyzable records: %d; unknown type: %d\n",
		s.Politicians, s.PoliticiansWithAnalyzable, s.AnalyzableRecords, s.UnknownTypeRecords)
	if s.AxisStart != nil {
		fmt.Fprintf(w, "  weeks: %d (%s .. %s)\n", s.T, *s.AxisStart, *s.AxisEnd)
	}
	if s.Rejected > 0 {
		fmt.Fprintf(w, "  rejects: %s\n", counts(s.RejectsByReason))
		for _, r := range s.Rejects {
			fmt.Fprintf(w, "    %s: %s: %s\n", r.Position(), r.Reason, r.Detail)
		}
		if s.RejectsTruncated {
			fmt.Fprintf(w, "    ... %d more (use --rejects FILE for all)\n", s.Rejected-len(s.Rejects))
		}
	}
	if len(s.NotesByKind) > 0 {
		fmt.Fprintf(w, "  notes (records stored, a value unusable): %s\n", counts(s.NotesByKind))
		for _, n := range s.Notes {
			what := n.Detail // it names the value
			if what == "" {
				what = fmt.Sprintf("value %q", n.Value)
			}
			fmt.Fprintf(w, "    %s: %s: %s\n", n.Place, n.Kind, what)
		}
		if s.NotesTruncated {
			total := 0
			for _, c := range s.NotesByKind {
				total += c
			}
			fmt.Fprintf(w, "    ... %d more (use --json for the first %d)\n", total-len(s.Notes), ingest.MaxListedNotes)
		}
	}
}

// counts lists a count per key, "a 3, b 1", keys sorted; empty counts
// are left out.
func counts[K ~string](m map[K]int) string {
	var parts []string
	for _, k := range slices.Sorted(maps.Keys(m)) {
		if m[k] > 0 {
			parts = append(parts, fmt.Sprintf("%s %d", k, m[k]))
		}
	}
	return strings.Join(parts, ", ")
}

// printJSON writes every file's summary as one JSON object.
// importOutcome is one file of quant import: its result, or why nothing
// of it was stored.
type importOutcome struct {
	res loadResult
	err error
}

func printJSON(w io.Writer, results []importOutcome, backend string, ident *identitySummary) error {
	type fileJSON struct {
		File           string          `json:"file"`
		Error          string          `json:"error,omitempty"` // nothing from the file was stored
		Skipped        bool            `json:"skipped"`
		Replaced       int             `json:"replaced"`
		DatasetVersion int64           `json:"dataset_version,string"`
		DurationMS     float64         `json:"duration_ms"`
		Summary        *ingest.Summary `json:"summary"`
		// Store is what the store did (null for a skipped or failed file),
		// as POST /api/v1/trades reports it.
		Store *server.ImportReport `json:"store"`
	}
	out := struct {
		Store string     `json:"store"`
		Files []fileJSON `json:"files"`
		// Identity is the resolution of every stored id, when a
		// legislators table is stored; null otherwise.
		Identity *identitySummary `json:"identity"`
	}{Store: backend, Files: []fileJSON{}, Identity: ident}
	for _, o := range results {
		r := o.res
		f := fileJSON{
			File: r.Path, Skipped: r.Skipped, Replaced: r.Result.Replaced, DatasetVersion: r.Result.DatasetVersion,
			DurationMS: float64(r.Duration.Microseconds()) / 1000, Summary: r.Summary,
		}
		if o.err != nil {
			f.Error = o.err.Error()
		} else if !r.Skipped {
			f.Store = server.NewImportReport(r.Result)
		}
		out.Files = append(out.Files, f)
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(out)
}
