-- The durable job queue (domain/job.h, storage/job_repository.h): work that
-- follows a state change, enqueued in the same transaction, run later and
-- retried until it succeeds. Several instances share it: runners claim with
-- FOR UPDATE SKIP LOCKED. Timestamps are BIGINT Unix milliseconds.

CREATE TABLE jobs (
  id TEXT COLLATE "C" NOT NULL PRIMARY KEY,
  kind TEXT NOT NULL,
  payload TEXT NOT NULL,
  created_at BIGINT NOT NULL,
  run_at BIGINT NOT NULL,
  attempts INTEGER NOT NULL DEFAULT 0 CHECK (attempts >= 0),
  last_error TEXT,
  locked_by TEXT,
  locked_until BIGINT,
  finished_at BIGINT
);

-- The runners' question: what is due, earliest first.
CREATE INDEX jobs_due_idx ON jobs (run_at, id) WHERE finished_at IS NULL;
