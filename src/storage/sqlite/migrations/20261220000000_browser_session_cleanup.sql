-- The cleanup deletes browser sessions that have ended (finished, or past
-- their lifetime) unless a grant still names them
-- (storage/cleanup_repository.h): that question, and the cascade of a
-- deletion, look browser sessions up in authorization_grants, which the
-- other two tables that name them (device_code_grants, compat_sso_logins)
-- already index. A pending grant names none, so those are left out.

CREATE INDEX authorization_grants_browser_session_idx ON authorization_grants (browser_session_id)
  WHERE browser_session_id IS NOT NULL;
