-- 0003_jobs_key_hash: one active job per key, enforced on a hash of the key.
-- A btree entry holds at most 2704 bytes, and a key may be longer (a
-- correlation of 100 ids of 30 characters is about 3.1 KB): indexed as
-- text, its submission failed with SQLSTATE 54000. key_hash is
-- sha256(key), 32 bytes whatever the key; the store computes it (a
-- generated column cannot: convert_to is not immutable) and reads compare
-- key too, so even a collision could not join two different keys.
ALTER TABLE jobs ADD COLUMN key_hash bytea;
UPDATE jobs SET key_hash = sha256(convert_to(key, 'UTF8'));
ALTER TABLE jobs ALTER COLUMN key_hash SET NOT NULL;

DROP INDEX jobs_active_key;
CREATE UNIQUE INDEX jobs_active_key_hash ON jobs (key_hash) WHERE state IN ('queued', 'running');
-- The recent done job of a key, which a submission of the same work at the
-- same dataset version reuses rather than storing the result again.
CREATE INDEX jobs_done_key_hash ON jobs (key_hash, finished_at) WHERE state = 'done';
