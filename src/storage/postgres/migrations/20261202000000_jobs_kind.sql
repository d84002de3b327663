-- JobRepository::lastAddedAt: the newest job of a kind (periodic work such
-- as the device reconciliation asks it once per interval).
CREATE INDEX jobs_kind_created_idx ON jobs (kind, created_at);
