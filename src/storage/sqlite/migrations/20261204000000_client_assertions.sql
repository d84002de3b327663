-- Client authentication with signed assertions (RFC 7523 §2.2, OIDC Core §9).
--
-- client_secret_jwt needs the client secret itself as its HMAC key, so for
-- those clients the secret is also kept encrypted (AES-256-GCM under
-- secrets.encryption, crypto/aead.h; design §7), beside its SHA-256 hash.
ALTER TABLE oauth_clients ADD COLUMN encrypted_secret TEXT;

-- The `jti` of every accepted assertion, until the assertion expires, so
-- that the same assertion is accepted once (RFC 7523 §3 item 7). The key is
-- the SHA-256 hex of the jti: clients choose it, we only compare it.
-- ClientAssertionRepository::recordJti inserts with ON CONFLICT so that two
-- concurrent uses give exactly one success.
CREATE TABLE client_assertion_jtis (
  client_id TEXT NOT NULL REFERENCES oauth_clients (id) ON DELETE CASCADE,
  jti_hash TEXT NOT NULL,
  expires_at INTEGER NOT NULL,
  PRIMARY KEY (client_id, jti_hash)
) STRICT;

-- purgeExpired.
CREATE INDEX client_assertion_jtis_expires_idx ON client_assertion_jtis (expires_at);
