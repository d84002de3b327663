-- Browser logins of legacy clients (m.login.sso → m.login.token,
-- spec-digest §4.3; domain::CompatSsoLogin). The login token is stored only
-- as SHA-256 hex (design §7).

CREATE TABLE compat_sso_logins (
  id TEXT COLLATE "C" NOT NULL PRIMARY KEY,
  redirect_uri TEXT NOT NULL,
  created_at BIGINT NOT NULL,
  fulfilled_at BIGINT,
  login_token_hash TEXT COLLATE "C",
  user_id TEXT COLLATE "C" REFERENCES users (id) ON DELETE CASCADE,
  browser_session_id TEXT COLLATE "C" REFERENCES browser_sessions (id) ON DELETE CASCADE,
  exchanged_at BIGINT,
  compat_session_id TEXT COLLATE "C" REFERENCES compat_sessions (id) ON DELETE CASCADE,
  CHECK ((fulfilled_at IS NULL) = (login_token_hash IS NULL)),
  CHECK ((fulfilled_at IS NULL) = (user_id IS NULL)),
  CHECK ((fulfilled_at IS NULL) = (browser_session_id IS NULL)),
  CHECK ((exchanged_at IS NULL) = (compat_session_id IS NULL)),
  CHECK (exchanged_at IS NULL OR fulfilled_at IS NOT NULL)
);

-- POST /login with m.login.token: one lookup on the unique index.
CREATE UNIQUE INDEX compat_sso_logins_login_token_hash_key
  ON compat_sso_logins (login_token_hash);
CREATE INDEX compat_sso_logins_user_idx ON compat_sso_logins (user_id);
CREATE INDEX compat_sso_logins_browser_session_idx ON compat_sso_logins (browser_session_id);
CREATE INDEX compat_sso_logins_compat_session_idx ON compat_sso_logins (compat_session_id);
