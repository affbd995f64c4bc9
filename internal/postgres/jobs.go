package postgres

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/quantops/quant/internal/quant"
)

var _ quant.JobStore = (*Store)(nil)

// The jobs table (migrations/0002_jobs.sql, 0003_jobs_key_hash.sql) keeps
// every instance's jobs. Claims use FOR UPDATE SKIP LOCKED, so workers of
// many instances never wait for one another nor take the same job; leases
// use the database's clock.

// keyHash is a job key's key_hash: what the unique index of active jobs
// holds, as keys may pass a btree entry's 2704 bytes. It equals the
// migration's sha256(convert_to(key, 'UTF8')).
func keyHash(key string) []byte {
	h := sha256.Sum256([]byte(key))
	return h[:]
}

// errUndecodable marks a job row that was read but cannot be decoded.
var errUndecodable = errors.New("undecodable row")

const jobColumns = `id, key, request, state, attempts, coalesce(owner, ''),
	created_at, started_at, finished_at, not_before, lease_until,
	result_body, dataset_version, computed_at, compute_us, cache_status, error`

// scanJob reads one row of jobColumns.
func scanJob(row pgx.Row) (quant.Job, error) {
	var (
		j                        quant.Job
		req, errJSON             []byte
		state                    string
		started, finished, lease *time.Time
		body                     []byte
		version, computeUS       *int64
		computedAt               *time.Time
		cacheStatus              *string
	)
	err := row.Scan(&j.ID, &j.Key, &req, &state, &j.Attempts, &j.Owner,
		&j.CreatedAt, &started, &finished, &j.NotBefore, &lease,
		&body, &version, &computedAt, &computeUS, &cacheStatus, &errJSON)
	if err != nil {
		return j, err
	}
	j.State = quant.JobState(state)
	if err := json.Unmarshal(req, &j.Request); err != nil {
		return j, fmt.Errorf("postgres: job %s: request: %w: %w", j.ID, errUndecodable, err)
	}
	for _, t := range []struct {
		dst *time.Time
		src *time.Time
	}{{&j.StartedAt, started}, {&j.FinishedAt, finished}, {&j.LeaseUntil, lease}} {
		if t.src != nil {
			*t.dst = *t.src
		}
	}
	if body != nil {
		j.Result = &quant.Result{Analysis: j.Request.Analysis, Key: j.Key, Body: body}
		if version != nil {
			j.Result.DatasetVersion = *version
		}
		if computedAt != nil {
			j.Result.ComputedAt = *computedAt
		}
		if computeUS != nil {
			j.Result.ComputeTime = time.Duration(*computeUS) * time.Microsecond
		}
		if cacheStatus != nil {
			j.Result.Status = quant.CacheStatus(*cacheStatus)
		}
	}
	if errJSON != nil {
		j.Error = &quant.JobError{}
		if err := json.Unmarshal(errJSON, j.Error); err != nil {
			return j, fmt.Errorf("postgres: job %s: error: %w: %w", j.ID, errUndecodable, err)
		}
	}
	return j, nil
}

// jobErr wraps a failed statement's error: quant.ErrUnavailable when the
// database could not be reached, ctx's error when ctx is done. A row that
// cannot be decoded is no outage: its error is kept as it is (a 500, not a
// 503 that would ask the client to retry for ever).
func jobErr(ctx context.Context, op string, err error) error {
	if errors.Is(err, errUndecodable) {
		return fmt.Errorf("postgres: %s: %w", op, err)
	}
	return fmt.Errorf("postgres: %s: %w", op, readErr(ctx, err))
}

// SubmitJob implements quant.JobStore. MaxActive is checked against a
// count taken as the job is inserted: concurrent submissions may pass it
// by a few.
func (s *Store) SubmitJob(ctx context.Context, j quant.Job, opt quant.SubmitOptions) (quant.Job, bool, error) {
	req, err := json.Marshal(j.Request)
	if err != nil {
		return quant.Job{}, false, fmt.Errorf("postgres: submit job: %w", err)
	}
	ctx, cancel := s.call(ctx)
	defer cancel()
	c, err := s.acquire(ctx)
	if err != nil {
		return quant.Job{}, false, err
	}
	defer c.Release()
	h := keyHash(j.Key)
	if opt.ReuseDone > 0 {
		got, err := scanJob(c.QueryRow(ctx, `SELECT `+jobColumns+` FROM jobs
			WHERE key_hash = $1 AND key = $2 AND state = 'done' AND dataset_version = $3
			  AND finished_at > now() - $4 * interval '1 microsecond'
			ORDER BY finished_at DESC
			LIMIT 1`, h, j.Key, opt.DatasetVersion, opt.ReuseDone.Microseconds()))
		if err == nil {
			return got, false, nil
		}
		if !errors.Is(err, pgx.ErrNoRows) {
			return quant.Job{}, false, jobErr(ctx, "submit job", err)
		}
	}
	// The partial unique index admits one active job per key; on conflict
	// the insert does nothing and the active job is read instead. A job
	// that finishes between the two statements makes the read find
	// nothing: then try again. A full queue inserts nothing either.
	for range 3 {
		got, err := scanJob(c.QueryRow(ctx, `INSERT INTO jobs (id, key, key_hash, request, state)
			SELECT $1, $2, $3, $4, 'queued'
			WHERE $5::bigint <= 0 OR (SELECT count(*) FROM jobs WHERE state IN ('queued', 'running')) < $5::bigint
			ON CONFLICT (key_hash) WHERE state IN ('queued', 'running') DO NOTHING
			RETURNING `+jobColumns, j.ID, j.Key, h, req, opt.MaxActive))
		if err == nil {
			return got, true, nil
		}
		if !errors.Is(err, pgx.ErrNoRows) {
			return quant.Job{}, false, jobErr(ctx, "submit job", err)
		}
		got, err = scanJob(c.QueryRow(ctx, `SELECT `+jobColumns+` FROM jobs
			WHERE key_hash = $1 AND key = $2 AND state IN ('queued', 'running')`, h, j.Key))
		if err == nil {
			return got, false, nil
		}
		if !errors.Is(err, pgx.ErrNoRows) {
			return quant.Job{}, false, jobErr(ctx, "submit job", err)
		}
		if opt.MaxActive > 0 {
			var n int64
			if err := c.QueryRow(ctx, `SELECT count(*) FROM jobs WHERE state IN ('queued', 'running')`).Scan(&n); err != nil {
				return quant.Job{}, false, jobErr(ctx, "submit job", err)
			}
			if n >= opt.MaxActive {
				return quant.Job{}, false, fmt.Errorf("postgres: submit job: %d jobs queued or running: %w", n, quant.ErrJobQueueFull)
			}
		}
	}
	return quant.Job{}, false, fmt.Errorf("postgres: submit job %s: the active job of its key kept changing: %w", j.Key, quant.ErrUnavailable)
}

// Job implements quant.JobStore.
func (s *Store) Job(ctx context.Context, id string) (quant.Job, error) {
	ctx, cancel := s.call(ctx)
	defer cancel()
	c, err := s.acquire(ctx)
	if err != nil {
		return quant.Job{}, err
	}
	defer c.Release()
	j, err := scanJob(c.QueryRow(ctx, `SELECT `+jobColumns+` FROM jobs WHERE id = $1`, id))
	if errors.Is(err, pgx.ErrNoRows) {
		return quant.Job{}, fmt.Errorf("postgres: %w", &quant.NotFoundError{What: "job", ID: id})
	}
	if err != nil {
		return quant.Job{}, jobErr(ctx, "read job", err)
	}
	return j, nil
}

// ClaimJob implements quant.JobStore. A claimed row that cannot be
// decoded (written by a newer or broken binary) is failed at once, with an
// error saying so: left running, it would be claimed again each time its
// lease ran out, for ever.
func (s *Store) ClaimJob(ctx context.Context, owner string, lease time.Duration) (quant.Job, bool, error) {
	ctx, cancel := s.call(ctx)
	defer cancel()
	c, err := s.acquire(ctx)
	if err != nil {
		return quant.Job{}, false, err
	}
	defer c.Release()
	j, err := scanJob(c.QueryRow(ctx, `UPDATE jobs SET
			state = 'running', owner = $1, attempts = attempts + 1,
			lease_until = now() + $2 * interval '1 microsecond',
			started_at = coalesce(started_at, now())
		WHERE id = (
			SELECT id FROM jobs
			WHERE state = 'queued' AND not_before <= now()
			   OR state = 'running' AND lease_until < now()
			ORDER BY created_at, id
			LIMIT 1
			FOR UPDATE SKIP LOCKED)
		RETURNING `+jobColumns, owner, lease.Microseconds()))
	if errors.Is(err, pgx.ErrNoRows) {
		return quant.Job{}, false, nil
	}
	if errors.Is(err, errUndecodable) {
		b, _ := json.Marshal(quant.JobError{
			Status: 500, Type: "about:blank", Title: "Internal Server Error",
			Detail: "the stored job cannot be read; submit it again",
		})
		if _, ferr := c.Exec(ctx, `UPDATE jobs SET state = 'failed', owner = NULL, lease_until = NULL, finished_at = now(), error = $3
			WHERE id = $1 AND owner = $2 AND state = 'running'`, j.ID, owner, b); ferr != nil {
			return quant.Job{}, false, fmt.Errorf("postgres: claim job: %w (and cannot fail it: %w)", err, jobErr(ctx, "fail undecodable job", ferr))
		}
		return quant.Job{}, false, fmt.Errorf("postgres: claim job: failed it: %w", err)
	}
	if err != nil {
		return quant.Job{}, false, jobErr(ctx, "claim job", err)
	}
	return j, true, nil
}

// held runs an update of owner's running job and maps "no row" to
// quant.ErrJobLost.
func (s *Store) held(ctx context.Context, op, id, owner, set string, args ...any) error {
	ctx, cancel := s.call(ctx)
	defer cancel()
	c, err := s.acquire(ctx)
	if err != nil {
		return err
	}
	defer c.Release()
	tag, err := c.Exec(ctx, `UPDATE jobs SET `+set+` WHERE id = $1 AND owner = $2 AND state = 'running'`,
		append([]any{id, owner}, args...)...)
	if err != nil {
		return jobErr(ctx, op, err)
	}
	if tag.RowsAffected() == 0 {
		return fmt.Errorf("postgres: %s %s: %w", op, id, quant.ErrJobLost)
	}
	return nil
}

// RenewJob implements quant.JobStore.
func (s *Store) RenewJob(ctx context.Context, id, owner string, lease time.Duration) error {
	return s.held(ctx, "renew job", id, owner, `lease_until = now() + $3 * interval '1 microsecond'`, lease.Microseconds())
}

// FinishJob implements quant.JobStore.
func (s *Store) FinishJob(ctx context.Context, id, owner string, res *quant.Result, jerr *quant.JobError) error {
	if (res == nil) == (jerr == nil) {
		return fmt.Errorf("postgres: finish job %s: want a result or an error, not both or neither", id)
	}
	const done = `state = 'done', owner = NULL, lease_until = NULL, finished_at = now()`
	if jerr != nil {
		b, err := json.Marshal(jerr)
		if err != nil {
			return fmt.Errorf("postgres: finish job %s: %w", id, err)
		}
		return s.held(ctx, "finish job", id, owner, `state = 'failed', owner = NULL, lease_until = NULL, finished_at = now(), error = $3`, b)
	}
	body := res.Body
	if body == nil {
		body = []byte{}
	}
	return s.held(ctx, "finish job", id, owner,
		done+`, result_body = $3, dataset_version = $4, computed_at = $5, compute_us = $6, cache_status = $7`,
		body, res.DatasetVersion, res.ComputedAt, res.ComputeTime.Microseconds(), string(res.Status))
}

// RequeueJob implements quant.JobStore.
func (s *Store) RequeueJob(ctx context.Context, id, owner string, delay time.Duration, refund bool) error {
	return s.held(ctx, "requeue job", id, owner, `state = 'queued', owner = NULL, lease_until = NULL,
		not_before = now() + $3 * interval '1 microsecond',
		attempts = CASE WHEN $4 AND attempts > 0 THEN attempts - 1 ELSE attempts END`, delay.Microseconds(), refund)
}

// JobCounts implements quant.JobStore.
func (s *Store) JobCounts(ctx context.Context) (quant.JobCounts, error) {
	ctx, cancel := s.call(ctx)
	defer cancel()
	c, err := s.acquire(ctx)
	if err != nil {
		return quant.JobCounts{}, err
	}
	defer c.Release()
	var n quant.JobCounts
	err = c.QueryRow(ctx, `SELECT
			count(*) FILTER (WHERE state = 'queued'),
			count(*) FILTER (WHERE state = 'running'),
			count(*) FILTER (WHERE state = 'done'),
			count(*) FILTER (WHERE state = 'failed')
		FROM jobs`).Scan(&n.Queued, &n.Running, &n.Done, &n.Failed)
	if err != nil {
		return quant.JobCounts{}, jobErr(ctx, "count jobs", err)
	}
	return n, nil
}

// ActiveJobs implements quant.JobStore. It reads the jobs_claimable index.
func (s *Store) ActiveJobs(ctx context.Context) (int64, error) {
	ctx, cancel := s.call(ctx)
	defer cancel()
	c, err := s.acquire(ctx)
	if err != nil {
		return 0, err
	}
	defer c.Release()
	var n int64
	if err := c.QueryRow(ctx, `SELECT count(*) FROM jobs WHERE state IN ('queued', 'running')`).Scan(&n); err != nil {
		return 0, jobErr(ctx, "count active jobs", err)
	}
	return n, nil
}

// PruneJobs implements quant.JobStore.
func (s *Store) PruneJobs(ctx context.Context, before time.Time) (int, error) {
	ctx, cancel := s.call(ctx)
	defer cancel()
	c, err := s.acquire(ctx)
	if err != nil {
		return 0, err
	}
	defer c.Release()
	tag, err := c.Exec(ctx, `DELETE FROM jobs WHERE state IN ('done', 'failed') AND finished_at < $1`, before)
	if err != nil {
		return 0, jobErr(ctx, "prune jobs", err)
	}
	return int(tag.RowsAffected()), nil
}
