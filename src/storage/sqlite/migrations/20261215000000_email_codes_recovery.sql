-- E-mail addresses on the account pages and password recovery (issue 5):
-- the primary address, the 6-digit codes that verify an address
-- (storage/user_email_code_repository.h) and the recovery tickets behind
-- the links of password-recovery e-mails
-- (storage/recovery_ticket_repository.h). Codes and tokens are stored only
-- as hashes.

ALTER TABLE user_emails ADD COLUMN is_primary INTEGER NOT NULL DEFAULT 0
  CHECK (is_primary IN (0, 1));

-- At most one primary address per user.
CREATE UNIQUE INDEX user_emails_primary_key ON user_emails (user_id) WHERE is_primary = 1;

CREATE TABLE user_email_codes (
  id TEXT NOT NULL PRIMARY KEY,
  user_email_id TEXT NOT NULL REFERENCES user_emails (id) ON DELETE CASCADE,
  code_hash TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  expires_at INTEGER NOT NULL,
  attempts INTEGER NOT NULL DEFAULT 0,
  consumed_at INTEGER
) STRICT;

CREATE INDEX user_email_codes_email_idx ON user_email_codes (user_email_id, id);

CREATE TABLE recovery_tickets (
  id TEXT NOT NULL PRIMARY KEY,
  user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  user_email_id TEXT NOT NULL REFERENCES user_emails (id) ON DELETE CASCADE,
  token_hash TEXT NOT NULL UNIQUE,
  created_at INTEGER NOT NULL,
  expires_at INTEGER NOT NULL,
  consumed_at INTEGER
) STRICT;

CREATE INDEX recovery_tickets_user_idx ON recovery_tickets (user_id, id);
