package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"os"
	"os/signal"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/quantops/quant/internal/people"
	"github.com/quantops/quant/internal/quant"
)

// legislatorsUsage is the help of --legislators, on every command that
// takes it.
const legislatorsUsage = "congress-legislators table (legislators-current.yaml, legislators-historical.yaml, their .json twins, or a merged file): resolves every politician id to one member with party, state and chambers; repeatable (files merge). In PostgreSQL it is stored, so every instance agrees"

// storeLegislators loads the congress-legislators files and stores the
// table in st (SetLegislators: an equal table changes nothing). It
// returns the table stored and whether the dataset version moved.
func storeLegislators(ctx context.Context, st quant.Store, paths []string) (*quant.Legislators, bool, error) {
	t, err := people.Load(paths...)
	if err != nil {
		return nil, false, fmt.Errorf("--legislators: %w", err)
	}
	changed, _, err := st.SetLegislators(ctx, t)
	if err != nil {
		return nil, false, fmt.Errorf("--legislators: store the table: %w", err)
	}
	return t, changed, nil
}

// logIdentity logs what the directory resolved, once a table is stored.
func logIdentity(ctx context.Context, ppl quant.People, log *slog.Logger, msg string) {
	dir, err := ppl.Directory(ctx)
	if err != nil {
		log.Warn("identity: could not resolve politician ids", "err", err)
		return
	}
	sum := summarizeIdentity(dir)
	log.Info(msg, "members", sum.Members, "ids", sum.IDs, "resolved", sum.Resolved, "people", sum.People,
		"unresolved", sum.Unresolved, "by_reason", sum.reasons())
}

// reloadOnHangup reloads the legislators files on every SIGHUP until ctx
// ends: a table that loads replaces the stored one (every instance on
// the database sees it with the next dataset version); one that does not
// is logged and the stored one kept.
// It returns once SIGHUP is caught, the reloads running on.
func reloadOnHangup(ctx context.Context, st quant.Store, ppl quant.People, paths []string, log *slog.Logger) {
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	go reloads(ctx, hup, st, ppl, paths, log)
}

func reloads(ctx context.Context, hup chan os.Signal, st quant.Store, ppl quant.People, paths []string, log *slog.Logger) {
	defer signal.Stop(hup)
	for {
		select {
		case <-ctx.Done():
			return
		case <-hup:
		}
		start := time.Now()
		t, changed, err := storeLegislators(ctx, st, paths)
		if err != nil {
			log.Error("SIGHUP: legislators not reloaded; the stored table stays", "err", err)
			continue
		}
		if !changed {
			log.Info("SIGHUP: legislators reloaded, unchanged", "files", paths, "members", len(t.Members), "digest", short(t.Digest))
			continue
		}
		log.Info("SIGHUP: legislators reloaded", "files", paths, "members", len(t.Members), "digest", short(t.Digest), "duration", time.Since(start).Round(time.Millisecond))
		logIdentity(ctx, ppl, log, "identity")
	}
}

// identitySummary is what quant import reports of the resolution: counts
// and every unresolved id with its reason.
type identitySummary struct {
	Legislators *legislatorsJSON `json:"legislators"`
	Members     int              `json:"-"`
	IDs         int              `json:"ids"`
	Resolved    int              `json:"resolved"`
	People      int              `json:"people"`
	Unresolved  int              `json:"unresolved"`
	ByReason    map[string]int   `json:"unresolved_by_reason"`
	List        []unresolvedJSON `json:"unresolved_ids"`
}

type legislatorsJSON struct {
	Sources []string `json:"sources"`
	Digest  string   `json:"digest"`
	Members int      `json:"members"`
}

type unresolvedJSON struct {
	ID         string   `json:"id"`
	Reason     string   `json:"reason"`
	Detail     string   `json:"detail"`
	Candidates []string `json:"candidates"`
	Records    int      `json:"trade_count"`
}

func summarizeIdentity(dir *quant.Directory) identitySummary {
	s := identitySummary{IDs: len(dir.IDs), People: len(dir.People), ByReason: map[string]int{}, List: []unresolvedJSON{}}
	if t := dir.Legislators; t != nil {
		s.Legislators = &legislatorsJSON{Sources: t.Sources, Digest: t.Digest, Members: len(t.Members)}
		s.Members = len(t.Members)
	}
	for _, x := range dir.IDs {
		if x.Resolved() {
			s.Resolved++
			continue
		}
		s.Unresolved++
		s.ByReason[string(x.Reason)]++
		s.List = append(s.List, unresolvedJSON{ID: x.ID, Reason: string(x.Reason), Detail: x.Detail,
			Candidates: append([]string{}, x.Candidates...), Records: x.Records})
	}
	return s
}

func (s identitySummary) reasons() string {
	var parts []string
	for _, k := range slices.Sorted(maps.Keys(s.ByReason)) {
		parts = append(parts, fmt.Sprintf("%s %d", k, s.ByReason[k]))
	}
	return strings.Join(parts, ", ")
}

// printIdentity writes the resolution for people: counts, then every
// unresolved id with why.
func printIdentity(w io.Writer, s identitySummary) {
	if s.Legislators == nil {
		fmt.Fprintf(w, "identity: no legislators table; %d of %d ids resolved by their records' own bioguide ids (load one with --legislators FILE)\n", s.Resolved, s.IDs)
		return
	}
	fmt.Fprintf(w, "identity: %d members (%s); %d ids: %d resolved to %d people, %d unresolved", s.Members,
		strings.Join(s.Legislators.Sources, ", "), s.IDs, s.Resolved, s.People, s.Unresolved)
	if s.Unresolved > 0 {
		fmt.Fprintf(w, " (%s)", s.reasons())
	}
	fmt.Fprintln(w)
	for _, u := range s.List {
		fmt.Fprintf(w, "    %s (%d records): %s: %s\n", u.ID, u.Records, u.Reason, u.Detail)
	}
}

// short abbreviates a digest for logs and summaries.
func short(digest string) string {
	if len(digest) > 12 {
		return digest[:12]
	}
	return digest
}
