-- Registrations waiting for their e-mail code
-- (account.email_verification_required;
-- storage/pending_registration_repository.h) and the codes sent to each
-- address (the sending limit). The browser's cookie value, the code and the
-- registration token are stored only as hashes.

CREATE TABLE pending_registrations (
  id TEXT NOT NULL PRIMARY KEY,
  browser_hash TEXT NOT NULL UNIQUE,
  localpart TEXT NOT NULL,
  password_hash TEXT NOT NULL,
  password_scheme_version INTEGER NOT NULL,
  email TEXT NOT NULL,
  code_hash TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  expires_at INTEGER NOT NULL,
  attempts_left INTEGER NOT NULL,
  next_path TEXT,
  terms_uri TEXT,
  registration_token_hash TEXT
) STRICT;

CREATE INDEX pending_registrations_localpart_idx ON pending_registrations (localpart);
CREATE INDEX pending_registrations_email_idx ON pending_registrations (email);

CREATE TABLE registration_code_sends (
  email TEXT NOT NULL,
  sent_at INTEGER NOT NULL
) STRICT;

CREATE INDEX registration_code_sends_email_idx ON registration_code_sends (email, sent_at);
