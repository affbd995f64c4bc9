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
	res.Summary, res.Result, err = importReader(ctx, st, r, quant.ImportInfo{Source: filepath.Base(path), Fingerprint: fp, Force: opt.Force}, opt)
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
// database (a deterministic synthetic dataset).
const (
	defaultGenPoliticians = 100
	defaultGenTrades      = 20000
	defaultGenSeed        = 1
)

// loadSynthetic generates a dataset and imports it into st.
func loadSynthetic(ctx context.Context, st quant.Store, cfg ingest.GenConfig) (*ingest.Summary, error) {
	var buf bytes.Buffer
	if err := ingest.Generate(&buf, cfg); err != nil {
		return nil, err
	}
	info := quant.ImportInfo{
		Source:      fmt.Sprintf("synthetic(politicians=%d,trades=%d,seed=%d)", cfg.Politicians, cfg.Trades, cfg.Seed),
		Fingerprint: quant.Fingerprint(fmt.Sprintf("synthetic-%d-%d-%d", cfg.Politicians, cfg.Trades, cfg.Seed)),
	}
	sum, _, err := importReader(ctx, st, &buf, info, loadOptions{Format: ingest.FormatCSV})
	if errors.Is(err, quant.ErrAlreadyImported) {
		return sum, nil
	}
	return sum, err
}

// redact hides secrets in a flag value before it is logged or printed:
// the password of a URL, and any value of a token flag.
func redact(flag, v string) string {
	switch flag {
	case "token", "admin-token", "ingest-token":
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
