-- Device reservations (storage/device_reservation_repository.h): a login
-- reserves its device before putting it on the homeserver and consumes the
-- reservation in the transaction that adds its session, so that a device
-- sync running in between keeps the device (jobs/homeserver_jobs.h).
-- Ids are ULID text in the "C" collation; timestamps are BIGINT Unix
-- milliseconds, as in the SQLite backend.

CREATE TABLE device_reservations (
  id TEXT COLLATE "C" NOT NULL PRIMARY KEY,
  user_id TEXT COLLATE "C" NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  device_id TEXT COLLATE "C" NOT NULL,
  created_at BIGINT NOT NULL,
  -- After this a sync may purge it: a login that never committed.
  expires_at BIGINT NOT NULL
);

-- The device sync's read and purge, per user.
CREATE INDEX device_reservations_user_idx ON device_reservations (user_id, expires_at);
