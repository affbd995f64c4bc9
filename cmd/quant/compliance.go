package main

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/quantops/quant/internal/client"
	"github.com/quantops/quant/internal/ensemble"
	"github.com/quantops/quant/internal/inmem"
	"github.com/quantops/quant/internal/people"
	"github.com/quantops/quant/internal/quant"
	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

// complianceFlags are the flags of `quant compliance`.
type complianceFlags struct {
	url         string
	data        []string
	databaseURL string
	top         int
	sort        string
	minRecords  int
	chamber     string
	party       string
	state       string
	legislators []string
	json        bool
	csv         bool
	timeout     time.Duration
}

func newComplianceCmd() *cobra.Command {
	var cf complianceFlags
	cmd := &cobra.Command{
		Use:   "compliance [ID]",
		Short: "Rank politicians by late STOCK Act filings, or show one politician's disclosure lags",
		Long: `The STOCK Act (2012) gives a member of Congress 45 days to report a trade.
A record's lag is its disclosure date minus its transaction date, in
days (ANALYTICS.md section 11): late when over 45, invalid when negative
(left out of every lag figure), undated when the record has no
disclosure date; known = the records with a lag of 0 or more.

With no ID: the ranking of the politicians with at least --min-records
known lags, by --sort (late_share: the share of known lags that are
late, then late, then id; late: the late count, then late share, then
id; p50: the median lag, then id), the first --top; with --chamber, over
that chamber's records only; with --party or --state, over the
politicians of that party or state (their identity at their last trade:
it needs a legislators table: the server's, the database's or
--legislators with --data). Then the
summary over every record ranked, and, with a table, the same figures per
chamber and per party (a record's party is its member's on the trade's
day).
With an ID: that politician's counts, lag figures, years and worst late
records.

The answer comes from exactly one source:
  --url URL           a running quant server (GET /api/v1/analytics/compliance)
  --data FILE         disclosure files, loaded into memory and computed here
                      (repeatable; the formats quant import reads)
  --database-url URL  the PostgreSQL store quant import fills, computed here
                      (QUANT_DATABASE_URL is used when no source is given)

Output: a table (chambers: house, senate or both; lags in days), or
--json (the API's answer without the server's meta member; the same from
every source), or --csv (the ranking's rows, or one politician's counts
and lag figures as one row, after a header row).`,
		Example: `  quant compliance --data house_all_transactions.json --top 10
  quant compliance --url http://127.0.0.1:8080 --sort late --chamber senate --csv
  quant compliance --data senate_all_filings.json --legislators legislators-current.yaml --party democrat
  quant compliance --url http://127.0.0.1:8080 nancy-pelosi`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			req, err := cf.request(cmd.Flags(), args)
			if err != nil {
				return err
			}
			src, err := cf.source(cmd.Flags())
			if err != nil {
				return err
			}
			ctx, cancel := context.WithTimeout(cmd.Context(), cf.timeout)
			defer cancel()
			return runCompliance(ctx, cmd, &cf, src, req)
		},
	}
	f := cmd.Flags()
	f.StringVar(&cf.url, "url", "", "base URL of a running quant server (http://host:port)")
	f.StringArrayVar(&cf.data, "data", nil, "disclosure file to load and compute over, in memory; repeatable")
	f.StringVar(&cf.databaseURL, "database-url", "", "PostgreSQL URL of the store to compute over")
	f.IntVar(&cf.top, "top", quant.DefaultRankLimit, fmt.Sprintf("rows of the ranking to show, 1..%d", quant.MaxRankLimit))
	f.StringVar(&cf.sort, "sort", string(quant.SortLateShare), "ranking order: late_share, late or p50")
	f.IntVar(&cf.minRecords, "min-records", quant.DefaultMinRecords, fmt.Sprintf("rank only politicians with at least this many known lags, 1..%d", quant.MaxMinRecords))
	f.StringVar(&cf.chamber, "chamber", "", "rank over one chamber's records only: house or senate")
	f.StringVar(&cf.party, "party", "", "rank the politicians of one party only (Democrat, Republican, Independent; any case); needs a legislators table")
	f.StringVar(&cf.state, "state", "", "rank the politicians of one state only (two letters, e.g. OR)")
	f.StringArrayVar(&cf.legislators, "legislators", nil, "with --data: "+legislatorsUsage+" (with --database-url the stored table is used)")
	f.BoolVar(&cf.json, "json", false, "print the answer as JSON (the API's, without meta)")
	f.BoolVar(&cf.csv, "csv", false, "print CSV (RFC 4180) with a header row")
	f.DurationVar(&cf.timeout, "timeout", 2*time.Minute, "give up after this long (loading files included)")
	return cmd
}

// rankingFlags are the flags that shape the ranking and mean nothing for
// one politician.
var rankingFlags = []string{"top", "sort", "min-records", "chamber", "party", "state"}

// request checks every flag and argument and returns the normalized
// analysis request.
func (cf *complianceFlags) request(fs *pflag.FlagSet, args []string) (quant.Query, error) {
	if cf.json && cf.csv {
		return quant.Query{}, errors.New("--json and --csv: choose one output format")
	}
	if cf.timeout <= 0 {
		return quant.Query{}, fmt.Errorf("--timeout must be positive, got %v", cf.timeout)
	}
	req := quant.Request{Analysis: quant.AnalysisCompliance}
	if len(args) == 1 {
		if !quant.ValidPoliticianID(args[0]) {
			return quant.Query{}, fmt.Errorf("politician id %q: want a-z, 0-9 and '-', at most %d characters", args[0], quant.MaxPoliticianIDLen)
		}
		for _, name := range rankingFlags {
			if fs.Changed(name) {
				return quant.Query{}, fmt.Errorf("--%s shapes the ranking; it does not apply to one politician (%s)", name, args[0])
			}
		}
		req.ID = args[0]
		return quant.NewQuery(req)
	}
	req.Sort, req.Chamber = quant.ComplianceSort(cf.sort), quant.Chamber(cf.chamber)
	req.Party, req.State = cf.party, strings.ToUpper(cf.state)
	req.Limit, req.MinRecords = cf.top, cf.minRecords
	// quant's Check functions word each range; the flag names the value.
	for _, c := range []struct {
		flag string
		err  error
	}{
		{"top", quant.CheckLimit(req.Limit)}, {"min-records", quant.CheckMinRecords(req.MinRecords)},
		{"sort", quant.CheckSort(req.Sort)}, {"chamber", quant.CheckChamber(req.Chamber)},
		{"state", quant.CheckState(req.State)}, {"party", quant.CheckParty(req.Party)},
	} {
		var pe *quant.ParamError
		if errors.As(c.err, &pe) {
			return quant.Query{}, fmt.Errorf("--%s %s", c.flag, pe.Reason)
		}
	}
	return quant.NewQuery(req)
}

// complianceSource is where the answer comes from: exactly one of the
// three is set.
type complianceSource struct {
	url         string
	data        []string
	databaseURL string
	legislators []string // with data
}

// sourceFlags are the flags naming a source, in the order errors list them.
var sourceFlags = []string{"url", "data", "database-url"}

// source picks the one source. Flags given on the command line count
// first; only when none is given do the values the environment supplied
// (QUANT_URL, QUANT_DATA, QUANT_DATABASE_URL) count, so a
// QUANT_DATABASE_URL in the environment does not block --data.
func (cf *complianceFlags) source(fs *pflag.FlagSet) (complianceSource, error) {
	set := func(name string) bool {
		switch name {
		case "url":
			return cf.url != ""
		case "data":
			return len(cf.data) > 0
		}
		return cf.databaseURL != ""
	}
	var given []string
	for _, name := range sourceFlags {
		if fs.Changed(name) {
			given = append(given, name)
		}
	}
	if len(given) == 0 {
		for _, name := range sourceFlags {
			if set(name) {
				given = append(given, name)
			}
		}
	}
	switch {
	case len(given) == 0:
		return complianceSource{}, errors.New("no source: give --url (a running server), --data FILE or --database-url")
	case len(given) > 1:
		return complianceSource{}, fmt.Errorf("--%s given: give exactly one source", strings.Join(given, " and --"))
	}
	switch given[0] {
	case "url":
		u, err := url.Parse(cf.url)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return complianceSource{}, fmt.Errorf("--url %q: want http://host:port", cf.url)
		}
		if len(cf.legislators) > 0 {
			return complianceSource{}, errors.New("--legislators is for --data: a server answers with its own table (quant serve --legislators)")
		}
		return complianceSource{url: strings.TrimRight(cf.url, "/")}, nil
	case "data":
		for _, path := range cf.data {
			fi, err := os.Stat(path)
			if err != nil {
				return complianceSource{}, fmt.Errorf("--data: %w", err)
			}
			if fi.IsDir() {
				return complianceSource{}, fmt.Errorf("--data %s: is a directory, want a disclosure file", path)
			}
		}
		return complianceSource{data: cf.data, legislators: cf.legislators}, nil
	}
	if cf.databaseURL == "" {
		return complianceSource{}, errors.New("--database-url is empty")
	}
	if len(cf.legislators) > 0 {
		// A report must not replace the table every server of the
		// database reads (and move the dataset version under them).
		return complianceSource{}, errors.New("--legislators with --database-url would replace the table every server of that database reads: store one with `quant import --database-url URL --legislators FILE` (or serve --legislators); compliance uses the stored table")
	}
	return complianceSource{databaseURL: cf.databaseURL}, nil
}

// runCompliance fetches the answer from src and prints it.
func runCompliance(ctx context.Context, cmd *cobra.Command, cf *complianceFlags, src complianceSource, req quant.Query) error {
	body, err := fetchCompliance(ctx, cmd, src, req)
	if err != nil {
		return err
	}
	out := cmd.OutOrStdout()
	if req.ID != "" {
		var a client.ComplianceAnswer
		if err := json.Unmarshal(body, &a); err != nil {
			return fmt.Errorf("compliance of %q: decode the answer: %w", req.ID, err)
		}
		switch {
		case cf.json:
			return writeIndentedJSON(out, a)
		case cf.csv:
			return writeComplianceCSV(out, a)
		}
		return writeComplianceText(out, a)
	}
	var r client.ComplianceRanking
	if err := json.Unmarshal(body, &r); err != nil {
		return fmt.Errorf("compliance ranking: decode the answer: %w", err)
	}
	switch {
	case cf.json:
		return writeIndentedJSON(out, r)
	case cf.csv:
		return writeRankingCSV(out, r)
	}
	return writeRankingText(out, r)
}

// fetchCompliance returns the answer's JSON from the source.
func fetchCompliance(ctx context.Context, cmd *cobra.Command, src complianceSource, req quant.Query) ([]byte, error) {
	if src.url != "" {
		// The meta member is left in (printing drops it). A problem answer
		// is an error with its status, reason and detail.
		a, err := newComplianceClient(src.url, 10*time.Second).Analysis(ctx, req.Request)
		if err != nil {
			return nil, complianceError(req.Request, err)
		}
		return a.Body, nil
	}
	var (
		st  quant.Store
		err error
	)
	if src.databaseURL != "" {
		log, err := newLogger(cmd, cmd.ErrOrStderr())
		if err != nil {
			return nil, err
		}
		if st, err = openStore(ctx, src.databaseURL, log); err != nil {
			return nil, err
		}
	} else {
		st = inmem.New()
		opt := loadOptions{}
		if isTerminal(cmd.ErrOrStderr()) {
			opt.Progress = cmd.ErrOrStderr()
		}
		for _, path := range src.data {
			res, err := loadFile(ctx, st, path, opt)
			if err != nil {
				st.Close()
				return nil, fmt.Errorf("--data: %w", err)
			}
			if res.Summary != nil && res.Summary.Rejected > 0 {
				fmt.Fprintf(cmd.ErrOrStderr(), "quant compliance: %s: %d records rejected, left out (quant import says why)\n", path, res.Summary.Rejected)
			}
		}
	}
	defer st.Close()
	if len(src.legislators) > 0 {
		t, err := people.Load(src.legislators...)
		if err != nil {
			return nil, fmt.Errorf("--legislators: %w", err)
		}
		if _, _, err := st.SetLegislators(ctx, t); err != nil {
			return nil, fmt.Errorf("--legislators: store the table: %w", err)
		}
	}
	pp := people.New(st)
	if req.Party != "" {
		// As the server does: the table's spelling, or a refusal naming
		// the parties it has.
		dir, err := pp.Directory(ctx)
		if err != nil {
			return nil, err
		}
		if dir.Legislators == nil {
			return nil, errors.New("--party needs a legislators table: give --legislators FILE with --data, or store one in the database (quant import --legislators)")
		}
		known := dir.Legislators.Parties()
		party, ok := quant.PartyIn(known, req.Party)
		if !ok {
			return nil, fmt.Errorf("--party %q: no member of the legislators table has it; it has %s", req.Party, strings.Join(known, ", "))
		}
		r := req.Request
		r.Party = party
		if req, err = quant.NewQuery(r); err != nil {
			return nil, err
		}
	}
	res, err := ensemble.NewService(st, ensemble.WithPeople(pp)).Analyze(ctx, req)
	if err != nil {
		return nil, complianceError(req.Request, err)
	}
	return res.Body, nil
}

// complianceError names the request an analysis error is about.
func complianceError(req quant.Request, err error) error {
	// The store's own wording of an unknown id ("inmem: no politician")
	// says nothing more to a person than the id.
	var nf *quant.NotFoundError
	if errors.As(err, &nf) {
		err = nf
	}
	if req.ID != "" {
		return fmt.Errorf("compliance of %q: %w", req.ID, err)
	}
	return fmt.Errorf("compliance ranking: %w", err)
}

// complianceTries bounds how often a 503 (a full queue, an open breaker)
// is waited out.
const complianceTries = 5

// newComplianceClient is the client of --url: a 503 is tried again up to
// complianceTries times in all, after its Retry-After (at most maxWait).
func newComplianceClient(base string, maxWait time.Duration) *client.Client {
	return client.New(base, client.WithRetry(complianceTries, maxWait), client.WithUserAgent("quant-compliance"))
}

// writeIndentedJSON prints v as indented JSON without the server's meta.
func writeIndentedJSON(w io.Writer, v any) error {
	switch a := v.(type) {
	case client.ComplianceAnswer:
		a.Meta = nil
		v = a
	case client.ComplianceRanking:
		a.Meta = nil
		v = a
	}
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return err
	}
	_, err = w.Write(append(b, '\n'))
	return err
}

// sortLabels name the ranking orders in the table's title.
var sortLabels = map[string]string{
	string(quant.SortLateShare): "late share",
	string(quant.SortLate):      "late records",
	string(quant.SortP50):       "median lag",
}

// writeRankingText prints the ranking as a table for people, then the
// summary.
func writeRankingText(w io.Writer, r client.ComplianceRanking) error {
	var b bytes.Buffer
	label := sortLabels[r.Sort]
	if label == "" {
		label = r.Sort
	}
	scope := ""
	for _, part := range []string{r.Chamber, r.Party, r.State} {
		if part != "" {
			scope += ", " + part
		}
	}
	fmt.Fprintf(&b, "Late filers (STOCK Act) by %s%s: top %d with %d+ known lags\n", label, scope, r.Limit, r.MinRecords)
	fmt.Fprintf(&b, "(lag: days from trade to disclosure; late: over 45 days)\n\n")
	if len(r.Rows) == 0 {
		fmt.Fprintf(&b, "no politician has %d or more known lags (lower --min-records)\n", r.MinRecords)
	} else {
		t := textTable{
			header: []string{"rank", "id", "chambers", "known", "late", "late %", "median", "max"},
			right:  []bool{true, false, false, true, true, true, true, true},
		}
		for i, row := range r.Rows {
			t.rows = append(t.rows, []string{
				strconv.Itoa(i + 1), row.ID, chamberText(row.Chambers),
				strconv.Itoa(row.Known), strconv.Itoa(row.Late), percent(row.LateShare),
				fixed(row.P50, 1), fixed(row.Max, 0),
			})
		}
		t.write(&b)
	}
	s := r.Summary
	records := "records"
	if r.Chamber != "" {
		records = r.Chamber + " records"
	}
	fmt.Fprintf(&b, "\nsummary: %d politicians (%d ranked, %d shown), %d %s:\n", s.Politicians, s.Ranked, len(r.Rows), s.Records, records)
	fmt.Fprintf(&b, "         %d known, %d undated, %d invalid (filed before the trade)\n", s.Known, s.Undated, s.Invalid)
	fmt.Fprintf(&b, "         %d late (%s of known), median lag %s days\n", s.Late, percent(s.LateShare), fixed(s.P50, 1))
	if len(s.ByChamber)+len(s.ByParty) > 0 {
		t := textTable{
			header: []string{"group", "records", "known", "late", "late %", "median"},
			right:  []bool{false, true, true, true, true, true},
		}
		for _, g := range s.ByChamber {
			t.rows = append(t.rows, groupRow(g.Chamber, g))
		}
		for _, g := range s.ByParty {
			name := "unresolved"
			if g.Party != nil {
				name = *g.Party
			}
			t.rows = append(t.rows, groupRow(name, g))
		}
		b.WriteString("\n")
		t.write(&b)
	}
	_, err := w.Write(b.Bytes())
	return err
}

func groupRow(name string, g client.ComplianceGroup) []string {
	return []string{name, strconv.Itoa(g.Records), strconv.Itoa(g.Known), strconv.Itoa(g.Late), percent(g.LateShare), fixed(g.P50, 1)}
}

// writeComplianceText prints one politician's answer for people: the
// counts and lag figures, the years, the worst late records.
func writeComplianceText(w io.Writer, a client.ComplianceAnswer) error {
	var b bytes.Buffer
	fmt.Fprintf(&b, "%s (%s): STOCK Act disclosure lags\n", a.ID, chamberText(a.Chambers))
	fmt.Fprintf(&b, "(lag: days from trade to disclosure; late: over 45 days)\n\n")
	fmt.Fprintf(&b, "records  %d: %d known, %d undated, %d invalid (filed before the trade)\n", a.Records, a.Known, a.Undated, a.Invalid)
	fmt.Fprintf(&b, "late     %d of %d known (%s)", a.Late, a.Known, percent(a.LateShare))
	if a.Filings > 0 {
		fmt.Fprintf(&b, ", in %d of %d filings", a.LateFilings, a.Filings)
	}
	b.WriteString("\n")
	l := a.Lag
	fmt.Fprintf(&b, "lag      min %s, median %s, mean %s, p90 %s, max %s days\n",
		fixed(l.Min, 0), fixed(l.P50, 1), fixed(l.Mean, 1), fixed(l.P90, 1), fixed(l.Max, 0))
	if len(a.ByYear) > 0 {
		b.WriteString("\n")
		t := textTable{header: []string{"year", "known", "late", "late %", "median"}, right: []bool{false, true, true, true, true}}
		for _, y := range a.ByYear {
			var share *float64
			if y.Known > 0 {
				v := float64(y.Late) / float64(y.Known)
				share = &v
			}
			t.rows = append(t.rows, []string{strconv.Itoa(y.Year), strconv.Itoa(y.Known), strconv.Itoa(y.Late), percent(share), fixed(y.P50, 1)})
		}
		t.write(&b)
	}
	if len(a.Worst) > 0 {
		fmt.Fprintf(&b, "\nworst late records (%d of %d):\n", len(a.Worst), a.Late)
		clipped := false
		t := textTable{header: []string{"traded", "disclosed", "lag", "ticker", "type", "filing"}, right: []bool{false, false, true, false, false, false}}
		for _, r := range a.Worst {
			filing := orDash(r.FilingID)
			if utf8.RuneCountInString(filing) > maxFilingText {
				filing = string([]rune(filing)[:8]) + "…"
				clipped = true
			}
			t.rows = append(t.rows, []string{r.TransactionDate, r.DisclosureDate, strconv.FormatFloat(r.Lag, 'f', -1, 64), orDash(r.Ticker), r.Type, filing})
		}
		t.write(&b)
		if clipped {
			b.WriteString("(filing ids shortened; --json has them whole)\n")
		}
	}
	_, err := w.Write(b.Bytes())
	return err
}

// maxFilingText is the longest filing id the worst-records table shows
// whole: the Senate's 36-character ids would take a line past 80 columns,
// so they show their first 8 characters.
const maxFilingText = 20

// writeRankingCSV prints the ranking's rows after a header row; numbers
// as the JSON has them (late_share a fraction), a null as an empty field,
// chambers joined with ';'.
func writeRankingCSV(w io.Writer, r client.ComplianceRanking) error {
	cw := csv.NewWriter(w)
	cw.Write([]string{"rank", "id", "chambers", "known", "late", "late_share", "p50", "max"})
	for i, row := range r.Rows {
		cw.Write([]string{strconv.Itoa(i + 1), row.ID, chamberList(row.Chambers), strconv.Itoa(row.Known), strconv.Itoa(row.Late),
			csvNumber(row.LateShare), csvNumber(row.P50), csvNumber(row.Max)})
	}
	cw.Flush()
	return cw.Error()
}

// writeComplianceCSV prints one politician's counts and lag figures as one
// row after a header row (the years and the worst records: --json).
func writeComplianceCSV(w io.Writer, a client.ComplianceAnswer) error {
	cw := csv.NewWriter(w)
	cw.Write([]string{"id", "chambers", "records", "known", "invalid", "undated", "late", "late_share",
		"lag_min", "lag_p50", "lag_mean", "lag_p90", "lag_max", "filings", "late_filings"})
	l := a.Lag
	cw.Write([]string{a.ID, chamberList(a.Chambers), strconv.Itoa(a.Records), strconv.Itoa(a.Known), strconv.Itoa(a.Invalid),
		strconv.Itoa(a.Undated), strconv.Itoa(a.Late), csvNumber(a.LateShare),
		csvNumber(l.Min), csvNumber(l.P50), csvNumber(l.Mean), csvNumber(l.P90), csvNumber(l.Max),
		strconv.Itoa(a.Filings), strconv.Itoa(a.LateFilings)})
	cw.Flush()
	return cw.Error()
}

// chamberText names a politician's chambers in a table: house, senate or
// both.
func chamberText(cs []quant.Chamber) string {
	switch {
	case len(cs) == 0:
		return "-"
	case len(cs) == 2:
		return "both"
	}
	return chamberList(cs)
}

// chamberList joins chambers with ';'.
func chamberList(cs []quant.Chamber) string {
	s := make([]string, len(cs))
	for i, c := range cs {
		s[i] = string(c)
	}
	return strings.Join(s, ";")
}

// percent formats a share as a percentage with one decimal; "-" for null.
func percent(v *float64) string {
	if v == nil {
		return "-"
	}
	return strconv.FormatFloat(100**v, 'f', 1, 64) + "%"
}

// fixed formats v with the given decimals; "-" for null.
func fixed(v *float64, decimals int) string {
	if v == nil {
		return "-"
	}
	return strconv.FormatFloat(*v, 'f', decimals, 64)
}

// csvNumber formats v exactly (the shortest decimal that reads back as
// v); empty for null.
func csvNumber(v *float64) string {
	if v == nil {
		return ""
	}
	return strconv.FormatFloat(*v, 'f', -1, 64)
}

// orDash is *s, or "-" for null.
func orDash(s *string) string {
	if s == nil || *s == "" {
		return "-"
	}
	return *s
}

// textTable is a table for a terminal: columns as wide as their widest
// cell, two spaces apart, numbers aligned right.
type textTable struct {
	header []string
	right  []bool // per column: align right
	rows   [][]string
}

// write prints the header and the rows, with no trailing spaces.
func (t *textTable) write(w *bytes.Buffer) {
	widths := make([]int, len(t.header))
	for _, row := range append([][]string{t.header}, t.rows...) {
		for i, c := range row {
			widths[i] = max(widths[i], utf8.RuneCountInString(c))
		}
	}
	for _, row := range append([][]string{t.header}, t.rows...) {
		var line strings.Builder
		for i, c := range row {
			if i > 0 {
				line.WriteString("  ")
			}
			pad := strings.Repeat(" ", widths[i]-utf8.RuneCountInString(c))
			if t.right[i] {
				line.WriteString(pad + c)
			} else {
				line.WriteString(c + pad)
			}
		}
		w.WriteString(strings.TrimRight(line.String(), " ") + "\n")
	}
}
