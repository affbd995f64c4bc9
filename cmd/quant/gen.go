package main

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"

	"github.com/quantops/quant/internal/ingest"
	"github.com/spf13/cobra"
)

// The --layout values of quant gen --format legislators.
const (
	genLayoutBoth    = "both"
	genLayoutBuiltIn = "built-in"
)

func newGenCmd() *cobra.Command {
	var (
		cfg    ingest.GenConfig
		out    string
		format string
		layout string
	)
	cmd := &cobra.Command{
		Use:   "gen",
		Short: "Generate a synthetic disclosure dataset in either chamber's format, or its legislators table",
		Long: `Generate synthetic disclosures whose distributions look like the real
data (amount ranges, types, owners, ticker popularity, bursty filings of
several trades, unknown tickers, paper filings, name variants) in one of
the formats quant reads (--format):

  senate-csv      the Senate Stock Watcher CSV (no disclosure dates), 2012-2020
  house-json      the House Stock Watcher JSON: representative, district,
                  disclosure_date, filing_id, source_url, 2021-2025
  senate-filings  the Senate filings JSON: one element per filing with its
                  date_recieved, bioguide and transactions (paper filings
                  hold none), 2012-2020
  legislators     a congress-legislators YAML table (for --legislators) of
                  the politicians the other formats draw for the same
                  --seed: bioguide ids, names with their nicknames and
                  suffixes, terms with state, district and party

The JSON formats give every filing a disclosure date with realistic lags:
most within days to a few weeks, about one record in ten past the STOCK
Act's 45 days, a few very late.

The politicians of a seed are one sequence in every format (the same
names, districts and bioguide ids): --politicians N takes N of them,
after the first --skip-politicians. The legislators table gives each of
them terms covering every trade date of the other formats, with
--layout both (the default) in both chambers (the Senate to 2020, the
House from 2021), so that it resolves a file of theirs in any format;
with --layout built-in in the chambers they file in within the built-in
dataset of that many politicians (what quant serves without --data with
--gen-politicians N --gen-seed S): the Senate filings part's in the
Senate, the House part's in the House. A few politicians are hard on
purpose: about 2% are missing from the table, 3% were redistricted, 2%
share their last name with another member, 1% change party (see
internal/ingest, GenLegislators). The same flags always give a
byte-identical file.`,
		Example: `  quant gen --politicians 100 --trades 1000000 --seed 7 -o trades.csv
  quant gen --format house-json --trades 1000000 -o house.json
  quant gen --format legislators --politicians 100 --seed 7 -o legislators.yaml`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			cfg.Format = ingest.GenFormat(format)
			if !slices.Contains(ingest.GenFormats, cfg.Format) {
				return fmt.Errorf("--format must be one of %v, got %q", ingest.GenFormats, format)
			}
			generate := func(w io.Writer) error { return ingest.Generate(w, cfg) }
			switch {
			case cmd.Flags().Changed("layout") && cfg.Format != ingest.GenLegislators:
				return fmt.Errorf("--layout is for --format legislators")
			case layout == genLayoutBuiltIn:
				if cfg.SkipPoliticians != 0 {
					return fmt.Errorf("--layout built-in takes no --skip-politicians: the built-in dataset's politicians are the first")
				}
				parts := syntheticParts(cfg.Politicians, max(cfg.Trades, 0), cfg.Seed)
				generate = func(w io.Writer) error { return ingest.GenerateLegislators(w, parts...) }
			case layout != genLayoutBoth:
				return fmt.Errorf("--layout must be %s or %s, got %q", genLayoutBoth, genLayoutBuiltIn, layout)
			}
			if out == "" || out == "-" {
				w := bufio.NewWriterSize(cmd.OutOrStdout(), 1<<20)
				if err := generate(w); err != nil {
					return err
				}
				return w.Flush()
			}
			return writeAtomic(out, generate)
		},
	}
	f := cmd.Flags()
	f.IntVar(&cfg.Politicians, "politicians", defaultGenPoliticians, "number of politicians")
	f.IntVar(&cfg.SkipPoliticians, "skip-politicians", 0, "skip the seed's first politicians: two files share the politicians their ranges share")
	f.IntVar(&cfg.Trades, "trades", defaultGenTrades, "number of trade records (not used by the legislators format)")
	f.Uint64Var(&cfg.Seed, "seed", defaultGenSeed, "random seed; the same seed gives the same file")
	f.StringVarP(&out, "output", "o", "", "write to this file instead of standard output")
	f.StringVar(&format, "format", string(ingest.GenSenateCSV), fmt.Sprintf("file format: one of %v", ingest.GenFormats))
	f.StringVar(&layout, "layout", genLayoutBoth, "legislators: the chambers of the politicians' terms, "+genLayoutBoth+" (every politician in both) or "+genLayoutBuiltIn+" (as in the built-in dataset)")
	return cmd
}

// writeAtomic writes a file through a temporary file in the same
// directory and renames it into place, so readers never see half a file.
func writeAtomic(path string, write func(io.Writer) error) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	w := bufio.NewWriterSize(tmp, 1<<20)
	if err := write(w); err != nil {
		tmp.Close()
		return err
	}
	if err := w.Flush(); err != nil {
		tmp.Close()
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return os.Rename(tmp.Name(), path)
}
