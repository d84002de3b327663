-- Device reservations (storage/device_reservation_repository.h): a login
-- reserves its device before putting it on the homeserver and consumes the
-- reservation in the transaction that adds its session, so that a device
-- sync running in between keeps the device (jobs/homeserver_jobs.h).
-- Ids are ULID text; timestamps are INTEGER Unix milliseconds.

CREATE TABLE device_reservations (
  id TEXT NOT NULL PRIMARY KEY,
  user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  device_id TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  -- After this a sync may purge it: a login that never committed.
  expires_at INTEGER NOT NULL
) STRICT;

-- The device sync's read and purge, per user.
CREATE INDEX device_reservations_user_idx ON device_reservations (user_id, expires_at);
