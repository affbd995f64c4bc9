package postgres_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/quantops/quant/internal/quant"
)

// TestJobUndecodableIsFailed: a claimed row that cannot be decoded (here a
// request of the wrong shape, as a newer or broken binary might write) is
// failed in the store rather than left running, where it was claimed again
// each time its lease ran out, for ever.
func TestJobUndecodableIsFailed(t *testing.T) {
	ctx := context.Background()
	u := newSchema(t)
	s := open(t, u)
	if err := s.Migrate(ctx); err != nil {
		t.Fatalf("Migrate: %v", err)
	}
	conn, err := pgx.Connect(ctx, u)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, `INSERT INTO jobs (id, key, key_hash, request, state)
		VALUES ('bad', 'hmm/x', sha256('hmm/x'), '{"analysis": 5}', 'queued')`); err != nil {
		t.Fatal(err)
	}
	// A lease already run out: a claim that left the row running would
	// hand it out again at once.
	if j, ok, err := s.ClaimJob(ctx, "w", -time.Second); err == nil || ok {
		t.Fatalf("claiming the undecodable job = %s ok %v, %v; want an error", j.ID, ok, err)
	}
	var state string
	var status int
	if err := conn.QueryRow(ctx, `SELECT state, coalesce((error->>'status')::int, 0) FROM jobs WHERE id = 'bad'`).Scan(&state, &status); err != nil {
		t.Fatal(err)
	}
	if state != "failed" || status != 500 {
		t.Errorf("undecodable job = %s with status %d; want failed with 500", state, status)
	}
	if _, err := s.Job(ctx, "bad"); err == nil || errors.Is(err, quant.ErrUnavailable) {
		t.Errorf("reading the undecodable job = %v; want an error that is no outage (a 500, not a 503 to retry)", err)
	}
	if j, ok, err := s.ClaimJob(ctx, "w2", time.Minute); err != nil || ok {
		t.Errorf("second claim = %s ok %v, %v; want nothing to claim", j.ID, ok, err)
	}
	if _, _, err := s.SubmitJob(ctx, quant.Job{ID: "good", Key: "hmm/y", Request: quant.Request{Analysis: quant.AnalysisHMM, ID: "y"}}, quant.SubmitOptions{}); err != nil {
		t.Fatal(err)
	}
	if j, ok, err := s.ClaimJob(ctx, "w", time.Minute); err != nil || !ok || j.ID != "good" {
		t.Errorf("claim after the undecodable job = %s ok %v, %v; want good", j.ID, ok, err)
	}
}

// TestJobKeyHashMatchesMigration: the store's key_hash is what migration
// 0003 computed for the rows it found, so a job queued before the
// migration still absorbs submissions of its key after it.
func TestJobKeyHashMatchesMigration(t *testing.T) {
	ctx := context.Background()
	u := newSchema(t)
	s := open(t, u)
	if err := s.Migrate(ctx); err != nil {
		t.Fatalf("Migrate: %v", err)
	}
	req, err := quant.NewQuery(quant.Request{Analysis: quant.AnalysisCorrelation, IDs: []string{"b-b", "a-a"}})
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.SubmitJob(ctx, quant.Job{ID: "j", Key: req.Key(), Request: req.Request}, quant.SubmitOptions{}); err != nil {
		t.Fatal(err)
	}
	conn, err := pgx.Connect(ctx, u)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	var same bool
	if err := conn.QueryRow(ctx, `SELECT key_hash = sha256(convert_to(key, 'UTF8')) FROM jobs WHERE id = 'j'`).Scan(&same); err != nil {
		t.Fatal(err)
	}
	if !same {
		t.Error("key_hash differs from the migration's sha256(convert_to(key, 'UTF8'))")
	}
}
