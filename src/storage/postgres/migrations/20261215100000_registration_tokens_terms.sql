-- Registration tokens (storage/registration_token_repository.h), created
-- with `mxauth registration-token add` and stored as SHA-256 hashes only,
-- and the acceptance of the terms of service at registration.

CREATE TABLE registration_tokens (
  id TEXT COLLATE "C" NOT NULL PRIMARY KEY,
  token_hash TEXT NOT NULL UNIQUE,
  -- NULL: unlimited.
  usage_limit BIGINT,
  times_used BIGINT NOT NULL DEFAULT 0,
  created_at BIGINT NOT NULL,
  expires_at BIGINT,
  last_used_at BIGINT,
  revoked_at BIGINT
);

CREATE TABLE user_terms (
  user_id TEXT COLLATE "C" NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  terms_uri TEXT NOT NULL,
  accepted_at BIGINT NOT NULL,
  PRIMARY KEY (user_id, terms_uri)
);
