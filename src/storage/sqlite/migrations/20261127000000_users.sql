-- Users, their e-mail addresses and their password history.
-- Ids are ULID text; timestamps are INTEGER Unix milliseconds.

CREATE TABLE users (
  id TEXT NOT NULL PRIMARY KEY,
  -- Stored lower-case; unique case-insensitively through the index below.
  localpart TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  locked_at INTEGER,
  deactivated_at INTEGER,
  is_admin INTEGER NOT NULL DEFAULT 0 CHECK (is_admin IN (0, 1))
) STRICT;

CREATE UNIQUE INDEX users_localpart_lower_key ON users (lower(localpart));

CREATE TABLE user_emails (
  id TEXT NOT NULL PRIMARY KEY,
  user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  address TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  confirmed_at INTEGER
) STRICT;

-- A user holds an address once; a confirmed address belongs to one user.
CREATE UNIQUE INDEX user_emails_user_address_key ON user_emails (user_id, lower(address));
CREATE UNIQUE INDEX user_emails_confirmed_address_key ON user_emails (lower(address))
  WHERE confirmed_at IS NOT NULL;

CREATE TABLE user_passwords (
  id TEXT NOT NULL PRIMARY KEY,
  user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  -- 1, 2, 3... per user; the highest is the current password.
  ordinal INTEGER NOT NULL,
  hash TEXT NOT NULL,
  version INTEGER NOT NULL,
  created_at INTEGER NOT NULL,
  upgraded_from TEXT REFERENCES user_passwords (id),
  UNIQUE (user_id, ordinal)
) STRICT;
