-- The durable job queue (domain/job.h, storage/job_repository.h): work that
-- follows a state change, enqueued in the same transaction, run later and
-- retried until it succeeds. Timestamps are INTEGER Unix milliseconds.

CREATE TABLE jobs (
  id TEXT NOT NULL PRIMARY KEY,
  kind TEXT NOT NULL,
  payload TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  run_at INTEGER NOT NULL,
  attempts INTEGER NOT NULL DEFAULT 0 CHECK (attempts >= 0),
  last_error TEXT,
  locked_by TEXT,
  locked_until INTEGER,
  finished_at INTEGER
) STRICT;

-- The runners' question: what is due, earliest first.
CREATE INDEX jobs_due_idx ON jobs (run_at, id) WHERE finished_at IS NULL;
