-- Registration tokens (storage/registration_token_repository.h), created
-- with `mxauth registration-token add` and stored as SHA-256 hashes only,
-- and the acceptance of the terms of service at registration.

CREATE TABLE registration_tokens (
  id TEXT NOT NULL PRIMARY KEY,
  token_hash TEXT NOT NULL UNIQUE,
  -- NULL: unlimited.
  usage_limit INTEGER,
  times_used INTEGER NOT NULL DEFAULT 0,
  created_at INTEGER NOT NULL,
  expires_at INTEGER,
  last_used_at INTEGER,
  revoked_at INTEGER
) STRICT;

CREATE TABLE user_terms (
  user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  terms_uri TEXT NOT NULL,
  accepted_at INTEGER NOT NULL,
  PRIMARY KEY (user_id, terms_uri)
) STRICT;
