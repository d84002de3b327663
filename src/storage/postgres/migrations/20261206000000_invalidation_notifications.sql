-- Cross-process invalidation of in-memory caches (design §8,
-- storage/postgres/invalidation_listener.h): every change after which a
-- cached introspection answer is wrong NOTIFYs the channel
-- mxauth_invalidation, delivered to every listening instance when the
-- transaction commits. PostgreSQL only; SQLite relies on the cache's
-- staleness bound.

CREATE FUNCTION mxauth_notify_token_revoked() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_notify('mxauth_invalidation', 'token:' || NEW.token_hash);
  RETURN NULL;
END
$$;

CREATE FUNCTION mxauth_notify_row_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_notify('mxauth_invalidation', TG_ARGV[0] || ':' || NEW.id);
  RETURN NULL;
END
$$;

CREATE TRIGGER oauth_access_tokens_revoked
  AFTER UPDATE OF revoked_at ON oauth_access_tokens FOR EACH ROW
  WHEN (OLD.revoked_at IS NULL AND NEW.revoked_at IS NOT NULL)
  EXECUTE FUNCTION mxauth_notify_token_revoked();

CREATE TRIGGER compat_access_tokens_revoked
  AFTER UPDATE OF revoked_at ON compat_access_tokens FOR EACH ROW
  WHEN (OLD.revoked_at IS NULL AND NEW.revoked_at IS NOT NULL)
  EXECUTE FUNCTION mxauth_notify_token_revoked();

CREATE TRIGGER oauth_sessions_finished
  AFTER UPDATE OF finished_at ON oauth_sessions FOR EACH ROW
  WHEN (OLD.finished_at IS NULL AND NEW.finished_at IS NOT NULL)
  EXECUTE FUNCTION mxauth_notify_row_changed('session');

CREATE TRIGGER compat_sessions_finished
  AFTER UPDATE OF finished_at ON compat_sessions FOR EACH ROW
  WHEN (OLD.finished_at IS NULL AND NEW.finished_at IS NOT NULL)
  EXECUTE FUNCTION mxauth_notify_row_changed('session');

CREATE TRIGGER users_locked_or_deactivated
  AFTER UPDATE OF locked_at, deactivated_at ON users FOR EACH ROW
  WHEN ((OLD.locked_at IS NULL AND NEW.locked_at IS NOT NULL)
        OR (OLD.deactivated_at IS NULL AND NEW.deactivated_at IS NOT NULL))
  EXECUTE FUNCTION mxauth_notify_row_changed('user');
