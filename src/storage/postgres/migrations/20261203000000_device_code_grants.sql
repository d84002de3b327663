-- The device authorization grant (RFC 8628; domain::DeviceCodeGrant). The
-- device code is stored only as SHA-256 hex (design §7); the user code in
-- its normalised form, unique so that /link finds exactly one grant.

CREATE TABLE device_code_grants (
  id TEXT COLLATE "C" NOT NULL PRIMARY KEY,
  client_id TEXT COLLATE "C" NOT NULL REFERENCES oauth_clients (id) ON DELETE CASCADE,
  scope TEXT NOT NULL,
  device_code_hash TEXT COLLATE "C" NOT NULL,
  user_code TEXT COLLATE "C" NOT NULL,
  created_at BIGINT NOT NULL,
  expires_at BIGINT NOT NULL,
  interval_seconds BIGINT NOT NULL CHECK (interval_seconds > 0),
  last_polled_at BIGINT,
  approved_at BIGINT,
  user_id TEXT COLLATE "C" REFERENCES users (id) ON DELETE CASCADE,
  browser_session_id TEXT COLLATE "C" REFERENCES browser_sessions (id) ON DELETE CASCADE,
  denied_at BIGINT,
  exchanged_at BIGINT,
  session_id TEXT COLLATE "C" REFERENCES oauth_sessions (id) ON DELETE CASCADE,
  CHECK ((approved_at IS NULL) = (user_id IS NULL)),
  CHECK ((approved_at IS NULL) = (browser_session_id IS NULL)),
  CHECK (approved_at IS NULL OR denied_at IS NULL),
  CHECK ((exchanged_at IS NULL) = (session_id IS NULL)),
  CHECK (exchanged_at IS NULL OR approved_at IS NOT NULL)
);

-- The token endpoint's lookup, and /link's.
CREATE UNIQUE INDEX device_code_grants_device_code_hash_key
  ON device_code_grants (device_code_hash);
CREATE UNIQUE INDEX device_code_grants_user_code_key ON device_code_grants (user_code);
CREATE INDEX device_code_grants_client_idx ON device_code_grants (client_id);
CREATE INDEX device_code_grants_user_idx ON device_code_grants (user_id);
CREATE INDEX device_code_grants_browser_session_idx ON device_code_grants (browser_session_id);
CREATE INDEX device_code_grants_session_idx ON device_code_grants (session_id);
