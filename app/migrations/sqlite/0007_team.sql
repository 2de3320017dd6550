-- Team access: people (users) apart from billing accounts, their roles in each account,
-- invitations, and the billing account's audit log. Every existing login becomes a user with
-- the same id and the Owner of its billing account; nothing is lost.

CREATE TABLE users (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    email         TEXT,
    phone         TEXT,
    password_hash TEXT,
    created_at    BIGINT NOT NULL
);
-- Stored normalised (emails lower-case, phones E.164), so uniqueness is exact.
CREATE UNIQUE INDEX users_email ON users (email);
CREATE UNIQUE INDEX users_phone ON users (phone);
INSERT INTO users (id, email, phone, password_hash, created_at)
    SELECT id, email, phone, password_hash, created_at FROM billing_accounts;

-- Who may act in which billing account, and with which role.
CREATE TABLE memberships (
    billing_account_id BIGINT NOT NULL REFERENCES billing_accounts (id),
    user_id            BIGINT NOT NULL REFERENCES users (id),
    role               TEXT NOT NULL CHECK (role IN ('owner', 'finance', 'operations', 'viewer')),
    created_at         BIGINT NOT NULL,
    PRIMARY KEY (billing_account_id, user_id)
);
CREATE INDEX memberships_by_user ON memberships (user_id);
INSERT INTO memberships (billing_account_id, user_id, role, created_at)
    SELECT id, id, 'owner', created_at FROM billing_accounts;

-- The sign-in part moved to users.
DROP INDEX billing_accounts_email;
DROP INDEX billing_accounts_phone;
ALTER TABLE billing_accounts DROP COLUMN email;
ALTER TABLE billing_accounts DROP COLUMN phone;
ALTER TABLE billing_accounts DROP COLUMN password_hash;

-- A session is a user's; it acts in one billing account at a time (none while the user belongs
-- to none). Rebuilt, as SQLite cannot change a column's reference in place.
CREATE TABLE user_sessions (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    token_hash    TEXT NOT NULL UNIQUE,
    user_id       BIGINT NOT NULL REFERENCES users (id),
    account_id    BIGINT REFERENCES billing_accounts (id),
    created_at    BIGINT NOT NULL,
    last_seen_at  BIGINT NOT NULL,
    user_agent    TEXT NOT NULL,
    client_addr   TEXT NOT NULL,
    ended_at      BIGINT,
    -- Changing an email or phone first proves the current one (by a code) in this session.
    proof_channel TEXT,
    proof_at      BIGINT
);
INSERT INTO user_sessions (id, token_hash, user_id, account_id, created_at, last_seen_at, user_agent,
                           client_addr, ended_at, proof_channel, proof_at)
    SELECT id, token_hash, account_id, account_id, created_at, last_seen_at, user_agent,
           client_addr, ended_at, proof_channel, proof_at FROM sessions;
DROP TABLE sessions;
ALTER TABLE user_sessions RENAME TO sessions;
CREATE INDEX sessions_by_user ON sessions (user_id, ended_at);

-- The security log is a user's (sign-ins, password and address changes).
CREATE TABLE user_security_events (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id     BIGINT REFERENCES users (id),
    kind        TEXT NOT NULL,
    detail      TEXT NOT NULL DEFAULT '',
    client_addr TEXT NOT NULL,
    created_at  BIGINT NOT NULL
);
INSERT INTO user_security_events (id, user_id, kind, detail, client_addr, created_at)
    SELECT id, account_id, kind, detail, client_addr, created_at FROM security_events;
DROP TABLE security_events;
ALTER TABLE user_security_events RENAME TO security_events;
CREATE INDEX security_events_by_user ON security_events (user_id, created_at);
CREATE INDEX security_events_by_client ON security_events (client_addr, kind, created_at);

-- The operator role belongs to a person.
CREATE TABLE operator_users (
    user_id    BIGINT PRIMARY KEY REFERENCES users (id),
    granted_by TEXT NOT NULL,
    granted_at BIGINT NOT NULL
);
INSERT INTO operator_users (user_id, granted_by, granted_at)
    SELECT account_id, granted_by, granted_at FROM operators;
DROP TABLE operators;
ALTER TABLE operator_users RENAME TO operators;

-- An Owner's invitation to join with a role: a single-use link (only its hash is kept) to an
-- email or phone, valid 7 days.
CREATE TABLE invitations (
    id                 INTEGER PRIMARY KEY AUTOINCREMENT,
    billing_account_id BIGINT NOT NULL REFERENCES billing_accounts (id),
    channel            TEXT NOT NULL CHECK (channel IN ('email', 'sms')),
    address            TEXT NOT NULL,
    role               TEXT NOT NULL CHECK (role IN ('owner', 'finance', 'operations', 'viewer')),
    token_hash         TEXT NOT NULL UNIQUE,
    invited_by         BIGINT NOT NULL REFERENCES users (id),
    created_at         BIGINT NOT NULL,
    expires_at         BIGINT NOT NULL,
    accepted_at        BIGINT,
    accepted_by        BIGINT REFERENCES users (id),
    revoked_at         BIGINT
);
CREATE INDEX invitations_by_account ON invitations (billing_account_id, id);

-- The billing account's audit log: who did what, when, from where. Never deleted. `user_id` is
-- the person (a member, or an operator when `by_operator` is 1); `actor` names them as they were
-- then (their email or phone), so the log still reads right after they leave.
CREATE TABLE audit_events (
    id                 INTEGER PRIMARY KEY AUTOINCREMENT,
    billing_account_id BIGINT NOT NULL REFERENCES billing_accounts (id),
    user_id            BIGINT REFERENCES users (id),
    actor              TEXT NOT NULL,
    by_operator        BIGINT NOT NULL DEFAULT 0 CHECK (by_operator IN (0, 1)),
    action             TEXT NOT NULL,
    detail             TEXT NOT NULL DEFAULT '',
    client_addr        TEXT NOT NULL,
    created_at         BIGINT NOT NULL
);
CREATE INDEX audit_events_by_account ON audit_events (billing_account_id, id);
CREATE INDEX audit_events_by_person ON audit_events (billing_account_id, user_id, id);
