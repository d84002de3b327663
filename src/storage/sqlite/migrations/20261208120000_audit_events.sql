-- The audit log (storage/audit_log_repository.h): one row per completed
-- sensitive operation, only ever added. The user is kept (no cascade):
-- users are deactivated, never deleted, and their history must stay.

CREATE TABLE audit_events (
  id TEXT PRIMARY KEY NOT NULL,
  user_id TEXT NOT NULL REFERENCES users (id),
  action TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  ip_address TEXT NOT NULL,
  user_agent TEXT NOT NULL,
  details_json TEXT NOT NULL
) STRICT;

-- `mxauth audit list --user NAME`: one user's events, newest first.
CREATE INDEX audit_events_user_idx ON audit_events (user_id, id);
