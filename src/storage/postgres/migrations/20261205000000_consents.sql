-- Consent a user gave a client, remembered so that a later request for no
-- more than this scope need not ask again, and prompt=none can succeed
-- (storage/consent_repository.h). One row per user and client; scope is a
-- sorted, space-separated set with Matrix device scopes as their family.

CREATE TABLE oauth_consents (
  user_id TEXT COLLATE "C" NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  client_id TEXT COLLATE "C" NOT NULL REFERENCES oauth_clients (id) ON DELETE CASCADE,
  scope TEXT NOT NULL,
  created_at BIGINT NOT NULL,
  updated_at BIGINT NOT NULL,
  PRIMARY KEY (user_id, client_id)
);

-- Deleting a client deletes its consents.
CREATE INDEX oauth_consents_client_idx ON oauth_consents (client_id);
