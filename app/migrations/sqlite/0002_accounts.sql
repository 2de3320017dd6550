-- Accounts and credentials (issue #3): sign-in addresses and profile on the billing account,
-- verification codes, the development outbox, server-side sessions, the security log.

ALTER TABLE billing_accounts ADD COLUMN email TEXT;
ALTER TABLE billing_accounts ADD COLUMN phone TEXT;
ALTER TABLE billing_accounts ADD COLUMN password_hash TEXT;
ALTER TABLE billing_accounts ADD COLUMN industry TEXT NOT NULL DEFAULT '';
ALTER TABLE billing_accounts ADD COLUMN region TEXT NOT NULL DEFAULT '';
ALTER TABLE billing_accounts ADD COLUMN description TEXT NOT NULL DEFAULT '';
ALTER TABLE billing_accounts ADD COLUMN contact_name TEXT NOT NULL DEFAULT '';
-- Stored normalised (emails lower-case, phones E.164), so uniqueness is exact.
CREATE UNIQUE INDEX billing_accounts_email ON billing_accounts (email);
CREATE UNIQUE INDEX billing_accounts_phone ON billing_accounts (phone);

-- Only the latest code for an (address, purpose) counts: sending a new one replaces the old.
CREATE TABLE verification_codes (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    channel     TEXT NOT NULL CHECK (channel IN ('email', 'sms')),
    address     TEXT NOT NULL,
    purpose     TEXT NOT NULL,
    code_hash   TEXT NOT NULL,
    client_addr TEXT NOT NULL,
    sent_at     BIGINT NOT NULL,
    attempts    BIGINT NOT NULL DEFAULT 0,
    used_at     BIGINT
);
CREATE INDEX verification_codes_by_target ON verification_codes (address, purpose, sent_at);
CREATE INDEX verification_codes_by_address ON verification_codes (address, sent_at);
CREATE INDEX verification_codes_by_client ON verification_codes (client_addr, sent_at);

-- What would have been sent, when no SMTP server or SMS provider is configured.
CREATE TABLE outbox_messages (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    channel    TEXT NOT NULL CHECK (channel IN ('email', 'sms')),
    address    TEXT NOT NULL,
    subject    TEXT NOT NULL,
    body       TEXT NOT NULL,
    created_at BIGINT NOT NULL
);

-- Secrets the server makes for itself once and every replica shares.
CREATE TABLE server_secrets (
    name  TEXT PRIMARY KEY,
    value TEXT NOT NULL
);

CREATE TABLE sessions (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    token_hash   TEXT NOT NULL UNIQUE,
    account_id   BIGINT NOT NULL REFERENCES billing_accounts (id),
    created_at   BIGINT NOT NULL,
    last_seen_at BIGINT NOT NULL,
    user_agent   TEXT NOT NULL,
    client_addr  TEXT NOT NULL,
    ended_at     BIGINT,
    -- Changing an email or phone first proves the current one (by a code) in this session.
    proof_channel TEXT,
    proof_at      BIGINT
);
CREATE INDEX sessions_by_account ON sessions (account_id, ended_at);

CREATE TABLE security_events (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    account_id  BIGINT REFERENCES billing_accounts (id),
    kind        TEXT NOT NULL,
    detail      TEXT NOT NULL DEFAULT '',
    client_addr TEXT NOT NULL,
    created_at  BIGINT NOT NULL
);
CREATE INDEX security_events_by_account ON security_events (account_id, created_at);
CREATE INDEX security_events_by_client ON security_events (client_addr, kind, created_at);
