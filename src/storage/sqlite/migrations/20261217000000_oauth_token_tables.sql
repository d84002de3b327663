-- The OAuth token tables, rebuilt for the write path (issue 7: refresh
-- grants per second). Every rotation inserts an access and a refresh token
-- and marks the previous pair, and every page it touches is one more 4 KiB
-- frame in the WAL per commit. Two changes, measured with the WAL bytes per
-- refresh grant (14 pages before):
--  * WITHOUT ROWID: the rows live in their primary-key b-tree, so the id
--    needs no separate index (SQLite keeps one for a TEXT primary key of a
--    rowid table);
--  * oauth_refresh_tokens' access_token_id and next_refresh_token_id are
--    checked by triggers when they are written instead of by foreign keys,
--    and so need no index: no query looks a token up by them, and the
--    indexes existed only so that deleting a referenced row could find its
--    children. A link to a row deleted later reads as "no such token",
--    which the grants treat as unusable.
-- PostgreSQL keeps its schema: its refresh rate is bound by the pool's
-- round trips, not by pages written.

CREATE TABLE oauth_refresh_tokens_rebuilt (
  id TEXT NOT NULL PRIMARY KEY,
  session_id TEXT NOT NULL REFERENCES oauth_sessions (id) ON DELETE CASCADE,
  token_hash TEXT NOT NULL,
  access_token_id TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  expires_at INTEGER,
  consumed_at INTEGER,
  next_refresh_token_id TEXT,
  revoked_at INTEGER,
  CHECK ((consumed_at IS NULL) = (next_refresh_token_id IS NULL))
) STRICT, WITHOUT ROWID;

INSERT INTO oauth_refresh_tokens_rebuilt
  (id, session_id, token_hash, access_token_id, created_at, expires_at, consumed_at,
   next_refresh_token_id, revoked_at)
  SELECT id, session_id, token_hash, access_token_id, created_at, expires_at, consumed_at,
         next_refresh_token_id, revoked_at
  FROM oauth_refresh_tokens;

-- Nothing references oauth_refresh_tokens but itself.
DROP TABLE oauth_refresh_tokens;
ALTER TABLE oauth_refresh_tokens_rebuilt RENAME TO oauth_refresh_tokens;

CREATE UNIQUE INDEX oauth_refresh_tokens_token_hash_key ON oauth_refresh_tokens (token_hash);
CREATE INDEX oauth_refresh_tokens_session_idx ON oauth_refresh_tokens (session_id);

CREATE TABLE oauth_access_tokens_rebuilt (
  id TEXT NOT NULL PRIMARY KEY,
  session_id TEXT NOT NULL REFERENCES oauth_sessions (id) ON DELETE CASCADE,
  token_hash TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  expires_at INTEGER NOT NULL,
  first_used_at INTEGER,
  revoked_at INTEGER
) STRICT, WITHOUT ROWID;

INSERT INTO oauth_access_tokens_rebuilt
  (id, session_id, token_hash, created_at, expires_at, first_used_at, revoked_at)
  SELECT id, session_id, token_hash, created_at, expires_at, first_used_at, revoked_at
  FROM oauth_access_tokens;

-- Since the table above was rebuilt, nothing references this one.
DROP TABLE oauth_access_tokens;
ALTER TABLE oauth_access_tokens_rebuilt RENAME TO oauth_access_tokens;

-- Introspection's one lookup (design §8).
CREATE UNIQUE INDEX oauth_access_tokens_token_hash_key ON oauth_access_tokens (token_hash);
CREATE INDEX oauth_access_tokens_session_idx ON oauth_access_tokens (session_id);

-- What the foreign keys checked on writes (a Constraint error, as before).
CREATE TRIGGER oauth_refresh_tokens_access_token_exists
  BEFORE INSERT ON oauth_refresh_tokens FOR EACH ROW
  WHEN NOT EXISTS (SELECT 1 FROM oauth_access_tokens WHERE id = NEW.access_token_id)
BEGIN
  SELECT RAISE(ABORT, 'FOREIGN KEY constraint failed: unknown access token');
END;

CREATE TRIGGER oauth_refresh_tokens_successor_exists
  BEFORE UPDATE OF next_refresh_token_id ON oauth_refresh_tokens FOR EACH ROW
  WHEN NEW.next_refresh_token_id IS NOT NULL
    AND NOT EXISTS (SELECT 1 FROM oauth_refresh_tokens WHERE id = NEW.next_refresh_token_id)
BEGIN
  SELECT RAISE(ABORT, 'FOREIGN KEY constraint failed: unknown successor refresh token');
END;
