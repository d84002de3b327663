-- The legacy Matrix login API's sessions and tokens (domain/compat.h,
-- spec-digest §4): one compat session per Matrix device, its "mct_" access
-- tokens and "mcr_" refresh tokens.
-- Ids are ULID text; timestamps are INTEGER Unix milliseconds. Tokens are
-- stored only as SHA-256 hex (design §7).

CREATE TABLE compat_sessions (
  id TEXT NOT NULL PRIMARY KEY,
  user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  device_id TEXT NOT NULL,
  display_name TEXT,
  is_admin INTEGER NOT NULL DEFAULT 0 CHECK (is_admin IN (0, 1)),
  user_agent TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  finished_at INTEGER,
  last_active_at INTEGER,
  last_active_ip TEXT
) STRICT;

-- listActiveForUser (newest first), findActiveByDevice and the device sync
-- (OAuthSessionRepository::activeDeviceIds).
CREATE INDEX compat_sessions_active_user_idx ON compat_sessions (user_id, id)
  WHERE finished_at IS NULL;
CREATE INDEX compat_sessions_active_device_idx ON compat_sessions (user_id, device_id)
  WHERE finished_at IS NULL;

CREATE TABLE compat_access_tokens (
  id TEXT NOT NULL PRIMARY KEY,
  session_id TEXT NOT NULL REFERENCES compat_sessions (id) ON DELETE CASCADE,
  token_hash TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  -- NULL: never expires (a login without refresh_token).
  expires_at INTEGER,
  first_used_at INTEGER,
  revoked_at INTEGER,
  -- The target of compat_refresh_tokens' same-session reference.
  UNIQUE (id, session_id)
) STRICT;

-- Introspection's one lookup (design §8).
CREATE UNIQUE INDEX compat_access_tokens_token_hash_key ON compat_access_tokens (token_hash);
CREATE INDEX compat_access_tokens_session_idx ON compat_access_tokens (session_id);

CREATE TABLE compat_refresh_tokens (
  id TEXT NOT NULL PRIMARY KEY,
  session_id TEXT NOT NULL REFERENCES compat_sessions (id) ON DELETE CASCADE,
  token_hash TEXT NOT NULL,
  access_token_id TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  consumed_at INTEGER,
  next_refresh_token_id TEXT,
  revoked_at INTEGER,
  UNIQUE (id, session_id),
  -- The access token issued with it, and the successor it was exchanged
  -- for, belong to the same session.
  FOREIGN KEY (access_token_id, session_id)
    REFERENCES compat_access_tokens (id, session_id) ON DELETE CASCADE,
  FOREIGN KEY (next_refresh_token_id, session_id)
    REFERENCES compat_refresh_tokens (id, session_id),
  CHECK ((consumed_at IS NULL) = (next_refresh_token_id IS NULL))
) STRICT;

CREATE UNIQUE INDEX compat_refresh_tokens_token_hash_key ON compat_refresh_tokens (token_hash);
CREATE INDEX compat_refresh_tokens_session_idx ON compat_refresh_tokens (session_id);
CREATE INDEX compat_refresh_tokens_access_token_idx
  ON compat_refresh_tokens (access_token_id, session_id);
CREATE INDEX compat_refresh_tokens_next_idx
  ON compat_refresh_tokens (next_refresh_token_id, session_id);
