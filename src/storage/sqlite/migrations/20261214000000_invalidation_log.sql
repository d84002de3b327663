-- Cross-process invalidation of in-memory caches on SQLite
-- (storage/sqlite/invalidation_poller.h): the changes after which a cached
-- introspection answer is wrong, made by any process on this file, append
-- a row here in their own transaction; the serving process polls the rows
-- after the last one it read. The payloads are those of PostgreSQL's
-- notifications (20261206000000_invalidation_notifications on PostgreSQL).
-- Token revocations are left out: only the serving process revokes tokens
-- on SQLite, and it invalidates its own cache directly.

CREATE TABLE cache_invalidations (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  payload TEXT NOT NULL
);

CREATE TRIGGER oauth_sessions_finished
  AFTER UPDATE OF finished_at ON oauth_sessions FOR EACH ROW
  WHEN OLD.finished_at IS NULL AND NEW.finished_at IS NOT NULL
BEGIN
  INSERT INTO cache_invalidations (payload) VALUES ('session:' || NEW.id);
END;

CREATE TRIGGER compat_sessions_finished
  AFTER UPDATE OF finished_at ON compat_sessions FOR EACH ROW
  WHEN OLD.finished_at IS NULL AND NEW.finished_at IS NOT NULL
BEGIN
  INSERT INTO cache_invalidations (payload) VALUES ('session:' || NEW.id);
END;

CREATE TRIGGER users_locked_or_deactivated
  AFTER UPDATE OF locked_at, deactivated_at ON users FOR EACH ROW
  WHEN (OLD.locked_at IS NULL AND NEW.locked_at IS NOT NULL)
    OR (OLD.deactivated_at IS NULL AND NEW.deactivated_at IS NOT NULL)
BEGIN
  INSERT INTO cache_invalidations (payload) VALUES ('user:' || NEW.id);
END;
