-- The OAuth 2.0 aggregates (domain/oauth.h): clients, browser sessions,
-- authorization grants, OAuth sessions and their tokens.
-- Ids are ULID text; timestamps are INTEGER Unix milliseconds. Tokens,
-- codes and client secrets are stored only as SHA-256 hex (design §7).

CREATE TABLE oauth_clients (
  id TEXT NOT NULL PRIMARY KEY,
  metadata_json TEXT NOT NULL,
  secret_hash TEXT,
  -- De-duplicates identical public-client registrations.
  metadata_digest TEXT,
  is_static INTEGER NOT NULL DEFAULT 0 CHECK (is_static IN (0, 1)),
  created_at INTEGER NOT NULL
) STRICT;

CREATE UNIQUE INDEX oauth_clients_metadata_digest_key ON oauth_clients (metadata_digest);

CREATE TABLE browser_sessions (
  id TEXT NOT NULL PRIMARY KEY,
  user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  created_at INTEGER NOT NULL,
  authenticated_at INTEGER NOT NULL,
  finished_at INTEGER,
  user_agent TEXT NOT NULL,
  ip_address TEXT NOT NULL
) STRICT;

CREATE INDEX browser_sessions_user_idx ON browser_sessions (user_id);

CREATE TABLE oauth_sessions (
  id TEXT NOT NULL PRIMARY KEY,
  client_id TEXT NOT NULL REFERENCES oauth_clients (id) ON DELETE CASCADE,
  -- NULL for client_credentials sessions.
  user_id TEXT REFERENCES users (id) ON DELETE CASCADE,
  scope TEXT NOT NULL,
  device_id TEXT,
  created_at INTEGER NOT NULL,
  finished_at INTEGER,
  last_active_at INTEGER,
  last_active_ip TEXT,
  user_agent TEXT NOT NULL,
  authenticated_at INTEGER
) STRICT;

-- listActiveForUser (newest first) and findActiveByDevice.
CREATE INDEX oauth_sessions_active_user_idx ON oauth_sessions (user_id, id)
  WHERE finished_at IS NULL;
CREATE INDEX oauth_sessions_active_device_idx ON oauth_sessions (user_id, device_id)
  WHERE finished_at IS NULL AND device_id IS NOT NULL;
CREATE INDEX oauth_sessions_client_idx ON oauth_sessions (client_id);

CREATE TABLE authorization_grants (
  id TEXT NOT NULL PRIMARY KEY,
  client_id TEXT NOT NULL REFERENCES oauth_clients (id) ON DELETE CASCADE,
  redirect_uri TEXT NOT NULL,
  scope TEXT NOT NULL,
  state TEXT,
  nonce TEXT,
  response_mode TEXT NOT NULL CHECK (response_mode IN ('query', 'fragment', 'form_post')),
  code_challenge TEXT,
  login_hint TEXT,
  prompt TEXT,
  max_age INTEGER,
  created_at INTEGER NOT NULL,
  fulfilled_at INTEGER,
  code_hash TEXT,
  session_id TEXT REFERENCES oauth_sessions (id) ON DELETE CASCADE,
  browser_session_id TEXT REFERENCES browser_sessions (id) ON DELETE CASCADE,
  user_id TEXT REFERENCES users (id) ON DELETE CASCADE,
  exchanged_at INTEGER,
  cancelled_at INTEGER,
  -- The fulfilment columns are set together (domain/oauth.h).
  CHECK ((fulfilled_at IS NULL) = (code_hash IS NULL)
         AND (fulfilled_at IS NULL) = (session_id IS NULL)
         AND (fulfilled_at IS NULL) = (browser_session_id IS NULL)
         AND (fulfilled_at IS NULL) = (user_id IS NULL)),
  CHECK (exchanged_at IS NULL OR fulfilled_at IS NOT NULL)
) STRICT;

CREATE UNIQUE INDEX authorization_grants_code_hash_key ON authorization_grants (code_hash);
CREATE INDEX authorization_grants_session_idx ON authorization_grants (session_id);
CREATE INDEX authorization_grants_client_idx ON authorization_grants (client_id);

CREATE TABLE oauth_access_tokens (
  id TEXT NOT NULL PRIMARY KEY,
  session_id TEXT NOT NULL REFERENCES oauth_sessions (id) ON DELETE CASCADE,
  token_hash TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  expires_at INTEGER NOT NULL,
  first_used_at INTEGER,
  revoked_at INTEGER
) STRICT;

-- Introspection's one lookup (design §8).
CREATE UNIQUE INDEX oauth_access_tokens_token_hash_key ON oauth_access_tokens (token_hash);
CREATE INDEX oauth_access_tokens_session_idx ON oauth_access_tokens (session_id);

CREATE TABLE oauth_refresh_tokens (
  id TEXT NOT NULL PRIMARY KEY,
  session_id TEXT NOT NULL REFERENCES oauth_sessions (id) ON DELETE CASCADE,
  token_hash TEXT NOT NULL,
  access_token_id TEXT NOT NULL REFERENCES oauth_access_tokens (id) ON DELETE CASCADE,
  created_at INTEGER NOT NULL,
  expires_at INTEGER,
  consumed_at INTEGER,
  next_refresh_token_id TEXT REFERENCES oauth_refresh_tokens (id),
  revoked_at INTEGER,
  CHECK ((consumed_at IS NULL) = (next_refresh_token_id IS NULL))
) STRICT;

CREATE UNIQUE INDEX oauth_refresh_tokens_token_hash_key ON oauth_refresh_tokens (token_hash);
CREATE INDEX oauth_refresh_tokens_session_idx ON oauth_refresh_tokens (session_id);
CREATE INDEX oauth_refresh_tokens_access_token_idx ON oauth_refresh_tokens (access_token_id);
CREATE INDEX oauth_refresh_tokens_next_idx ON oauth_refresh_tokens (next_refresh_token_id);
