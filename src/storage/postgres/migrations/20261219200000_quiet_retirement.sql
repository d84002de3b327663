-- A refresh-token rotation retires the access token it replaces
-- (AccessTokenRepository::retire). That is not a revocation other
-- instances must hear of at once: the client has just been given the next
-- one, and another instance's cached answer lapses within the
-- introspection cache's staleness bound. A NOTIFY, on the other hand,
-- makes every committing transaction that sent one queue on PostgreSQL's
-- notification lock, held through the commit's WAL flush, so that
-- rotations could not share a flush: about 1,000 a second on a disk
-- where they otherwise reach 2,000 and more.
--
-- mxauth_retire_access_token() revokes like the plain UPDATE, with
-- mxauth.retiring set for its duration, and the trigger skips those rows.
-- Every other revocation still notifies.

CREATE FUNCTION mxauth_retire_access_token(token_id TEXT, at BIGINT) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
  PERFORM set_config('mxauth.retiring', 'on', true);
  UPDATE oauth_access_tokens SET revoked_at = at WHERE id = token_id AND revoked_at IS NULL;
  PERFORM set_config('mxauth.retiring', 'off', true);
END
$$;

DROP TRIGGER oauth_access_tokens_revoked ON oauth_access_tokens;

CREATE TRIGGER oauth_access_tokens_revoked
  AFTER UPDATE OF revoked_at ON oauth_access_tokens FOR EACH ROW
  WHEN (OLD.revoked_at IS NULL AND NEW.revoked_at IS NOT NULL
        AND coalesce(current_setting('mxauth.retiring', true), '') <> 'on')
  EXECUTE FUNCTION mxauth_notify_token_revoked();
