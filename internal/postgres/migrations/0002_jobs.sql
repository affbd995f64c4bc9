-- 0002_jobs: analyses run asynchronously (POST /api/v1/jobs), shared by
-- every instance. Times are the database's clock, so instances whose clocks
-- disagree still agree on leases.
CREATE TABLE jobs (
	id              text PRIMARY KEY,
	key             text COLLATE "C" NOT NULL,
	request         jsonb NOT NULL,
	state           text NOT NULL CHECK (state IN ('queued', 'running', 'done', 'failed')),
	attempts        integer NOT NULL DEFAULT 0,
	owner           text,
	created_at      timestamptz NOT NULL DEFAULT now(),
	started_at      timestamptz,
	finished_at     timestamptz,
	not_before      timestamptz NOT NULL DEFAULT now(),
	lease_until     timestamptz,
	-- done: the answer's JSON body byte for byte (bytea, not jsonb, which
	-- would reorder keys and reformat numbers) and its provenance.
	result_body     bytea,
	dataset_version bigint,
	computed_at     timestamptz,
	compute_us      bigint,
	cache_status    text,
	-- failed: the problem the API answers.
	error           jsonb,
	CHECK ((state = 'done') = (result_body IS NOT NULL)),
	CHECK ((state = 'failed') = (error IS NOT NULL))
);

-- At most one queued or running job per analysis key: a second submission
-- of the same work joins the first.
CREATE UNIQUE INDEX jobs_active_key ON jobs (key) WHERE state IN ('queued', 'running');
-- What workers claim, oldest first.
CREATE INDEX jobs_claimable ON jobs (created_at) WHERE state IN ('queued', 'running');
-- What pruning deletes.
CREATE INDEX jobs_finished ON jobs (finished_at) WHERE state IN ('done', 'failed');
