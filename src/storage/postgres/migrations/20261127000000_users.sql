-- Users, their e-mail addresses and their password history.
-- Ids are ULID text in the "C" collation, so ORDER BY id is creation order
-- whatever the database's locale. Timestamps are BIGINT Unix milliseconds,
-- the same representation as the SQLite backend, so that both share one
-- set of repository queries and round-trip Timestamp exactly.

CREATE TABLE users (
  id TEXT COLLATE "C" NOT NULL PRIMARY KEY,
  -- Stored lower-case; unique case-insensitively through the index below.
  localpart TEXT NOT NULL,
  created_at BIGINT NOT NULL,
  locked_at BIGINT,
  deactivated_at BIGINT,
  is_admin BOOLEAN NOT NULL DEFAULT FALSE
);

CREATE UNIQUE INDEX users_localpart_lower_key ON users (lower(localpart));

CREATE TABLE user_emails (
  id TEXT COLLATE "C" NOT NULL PRIMARY KEY,
  user_id TEXT COLLATE "C" NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  address TEXT NOT NULL,
  created_at BIGINT NOT NULL,
  confirmed_at BIGINT
);

-- A user holds an address once; a confirmed address belongs to one user.
CREATE UNIQUE INDEX user_emails_user_address_key ON user_emails (user_id, lower(address));
CREATE UNIQUE INDEX user_emails_confirmed_address_key ON user_emails (lower(address))
  WHERE confirmed_at IS NOT NULL;

CREATE TABLE user_passwords (
  id TEXT COLLATE "C" NOT NULL PRIMARY KEY,
  user_id TEXT COLLATE "C" NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  -- 1, 2, 3... per user; the highest is the current password.
  ordinal BIGINT NOT NULL,
  hash TEXT NOT NULL,
  version INTEGER NOT NULL,
  created_at BIGINT NOT NULL,
  upgraded_from TEXT COLLATE "C" REFERENCES user_passwords (id),
  UNIQUE (user_id, ordinal)
);
