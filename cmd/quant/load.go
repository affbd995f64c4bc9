package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/quantops/quant/internal/ingest"
	"github.com/quantops/quant/internal/quant"
	"github.com/schollz/progressbar/v3"
)

// loadOptions tune loadFile.
type loadOptions struct {
	Force    bool          // re-import a file already stored
	Format   ingest.Format // FormatAuto detects
	Progress io.Writer     // where to draw a progress bar; nil draws none
	OnReject func(ingest.Reject)
}

// loadResult is what one file's import did.
type loadResult struct {
	Path     string
	Summary  *ingest.Summary
	Result   quant.ImportResult
	Skipped  bool // already imported, nothing done
	Duration time.Duration
}

// loadFile imports one disclosure file into st: a first pass fingerprints
// it, a second streams its records into the store as one all-or-nothing
// import.
func loadFile(ctx context.Context, st quant.Store, path string, opt loadOptions) (loadResult, error) {
	start := time.Now()
	res := loadResult{Path: path}
	f, err := os.Open(path)
	if err != nil {
		return res, err
	}
	defer f.Close()
	st0, err := f.Stat()
	if err != nil {
		return res, err
	}
	fp, size, err := ingest.Fingerprint(f)
	if err != nil {
		return res, fmt.Errorf("%s: %w", path, err)
	}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return res, err
	}
	var r io.Reader = f
	if opt.Progress != nil {
		bar := progressbar.NewOptions64(size,
			progressbar.OptionSetWriter(opt.Progress),
			progressbar.OptionSetDescription("importing "+filepath.Base(path)),
			progressbar.OptionShowBytes(true),
			progressbar.OptionThrottle(100*time.Millisecond),
			progressbar.OptionClearOnFinish(),
		)
		defer bar.Finish()
		pr := progressbar.NewReader(f, bar)
		r = &pr
	}
	res.Summary, res.Result, err = importReader(ctx, st, r, quant.ImportInfo{Source: filepath.Base(path), Fingerprint: fp, Force: opt.Force, AsOf: st0.ModTime()}, opt)
	res.Duration = time.Since(start)
	if errors.Is(err, quant.ErrAlreadyImported) {
		res.Skipped = true
		return res, nil
	}
	if err != nil {
		return res, fmt.Errorf("%s: %w", path, err)
	}
	return res, nil
}

// importReader parses r and imports its accepted records into st.
func importReader(ctx context.Context, st quant.Store, r io.Reader, info quant.ImportInfo, opt loadOptions) (*ingest.Summary, quant.ImportResult, error) {
	p := &ingest.Parser{Format: opt.Format}
	sum := ingest.NewSummary(info.Source, time.Now())
	records := func(yield func(quant.Trade, error) bool) {
		for tr, err := range p.Records(r, ingest.Tee(sum, ingest.RejectFunc(opt.OnReject))) {
			if err == nil {
				sum.Add(&tr)
			}
			if !yield(tr, err) {
				return
			}
		}
	}
	res, err := st.Import(ctx, info, records)
	sum.Finish()
	return sum, res, err
}

// Embedded dataset defaults: what `quant` serves with no --data and no
// database (a deterministic synthetic dataset of both chambers, see
// syntheticParts).
const (
	defaultGenPoliticians = 100
	defaultGenTrades      = 20000
	defaultGenSeed        = 1
)

// syntheticBothChambers is how many politicians of the built-in dataset
// file with both chambers (when it has at least 10).
const syntheticBothChambers = 2

// syntheticParts splits the built-in dataset of politicians, trades and
// seed (the --gen-* flags) into the files it is made of, imported in this
// order: a Senate filings part (2012-2020, 40% of the politicians, 40%
// of the trades, plus its paper filings, which hold none) and a House
// part (2021-2025, the others), both with disclosure dates. The parts
// share syntheticBothChambers politicians (the House part's first filers
// are the Senate part's last, by GenConfig.SkipPoliticians), so that
// politicians in total; the others file with one chamber. A dataset of
// one politician is a Senate part alone.
func syntheticParts(politicians, trades int, seed uint64) []ingest.GenConfig {
	senate := max(1, (2*politicians+4)/5)
	both := 0
	if politicians >= 10 {
		both = syntheticBothChambers
	}
	house := politicians - senate + both
	if house == 0 {
		return []ingest.GenConfig{{Format: ingest.GenSenateFilings, Politicians: senate, Trades: trades, Seed: seed}}
	}
	houseTrades := trades * 3 / 5
	return []ingest.GenConfig{
		{Format: ingest.GenSenateFilings, Politicians: senate, Trades: trades - houseTrades, Seed: seed},
		{Format: ingest.GenHouseJSON, Politicians: house, SkipPoliticians: senate - both, Trades: houseTrades, Seed: seed},
	}
}

// syntheticAsOf is the fixed instant a built-in part's data is current:
// the day after its last date (so every instance that loads the same
// built-in dataset derives the same dataset versions).
func syntheticAsOf(cfg ingest.GenConfig) time.Time {
	_, end := cfg.Format.DefaultSpan()
	if !cfg.End.IsZero() {
		end = cfg.End
	}
	y, m, d := end.Date()
	return time.Date(y, m, d+1, 0, 0, 0, 0, time.UTC)
}

// loadSynthetic generates the built-in dataset's parts and imports each
// into st, in order; it returns a summary per part.
func loadSynthetic(ctx context.Context, st quant.Store, politicians, trades int, seed uint64) ([]*ingest.Summary, error) {
	var sums []*ingest.Summary
	for _, cfg := range syntheticParts(politicians, trades, seed) {
		var buf bytes.Buffer
		if err := ingest.Generate(&buf, cfg); err != nil {
			return sums, err
		}
		name := fmt.Sprintf("synthetic(format=%s,politicians=%d,skip=%d,trades=%d,seed=%d)", cfg.Format, cfg.Politicians, cfg.SkipPoliticians, cfg.Trades, cfg.Seed)
		info := quant.ImportInfo{
			Source:      name,
			Fingerprint: quant.Fingerprint(name),
			AsOf:        syntheticAsOf(cfg),
		}
		sum, _, err := importReader(ctx, st, &buf, info, loadOptions{})
		if err != nil && !errors.Is(err, quant.ErrAlreadyImported) {
			return sums, fmt.Errorf("%s: %w", name, err)
		}
		sums = append(sums, sum)
	}
	return sums, nil
}

// redact hides secrets in a flag value before it is logged or printed:
// the password of a URL, and any value of a token flag.
func redact(flag, v string) string {
	switch flag {
	case "token", "admin-token", "admin-read-token", "ingest-token":
		return "REDACTED"
	}
	return redactURL(v)
}

// redactURL replaces a URL's password, and any query option whose name
// holds "password", with "xxxxx". A value that does not parse as a URL is
// not shown at all: it may hold a password where no rule can find it.
func redactURL(s string) string {
	u, err := url.Parse(s)
	if err != nil {
		return "(a URL that does not parse)"
	}
	if q := u.Query(); len(q) > 0 {
		changed := false
		for k := range q {
			if strings.Contains(strings.ToLower(k), "password") {
				q.Set(k, "xxxxx")
				changed = true
			}
		}
		if changed {
			u.RawQuery = q.Encode()
		}
	}
	if u.User == nil {
		return u.String()
	}
	return u.Redacted()
}
