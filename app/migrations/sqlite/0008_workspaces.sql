-- Workspaces: each site's billing zone and signing keys, binding by proof from the site, how
-- each workspace is paid, and the history of every workspace's state.

-- The zone a site's billing days and months are counted in: Beijing time for the CN sites,
-- the site's own region for the international ones.
ALTER TABLE sites ADD COLUMN time_zone TEXT NOT NULL DEFAULT 'Asia/Shanghai';
UPDATE sites SET time_zone = 'America/Los_Angeles' WHERE code = 'US1';
UPDATE sites SET time_zone = 'Europe/Berlin' WHERE code = 'EU1';
UPDATE sites SET time_zone = 'Asia/Singapore' WHERE code = 'AP1';

-- A site's signing keys. The secret itself is stored nowhere: it is derived from the server's
-- site-key secret, the site and the version, and printed once by `server site key`. A new
-- version retires the ones before it.
CREATE TABLE site_keys (
    site_code  TEXT NOT NULL REFERENCES sites (code),
    version    BIGINT NOT NULL,
    created_at BIGINT NOT NULL,
    retired_at BIGINT,
    PRIMARY KEY (site_code, version)
);

-- Workspaces rebuilt: a workspace ID is its site's (two sites may use the same one), so it is
-- unique per site; and how a workspace is paid and whether it may take in data. A workspace
-- with no billing account is known to its site but bound to no one.
CREATE TABLE site_workspaces (
    id                    INTEGER PRIMARY KEY AUTOINCREMENT,
    workspace_uuid        TEXT NOT NULL,
    name                  TEXT NOT NULL,
    site_code             TEXT NOT NULL REFERENCES sites (code),
    billing_account_id    BIGINT REFERENCES billing_accounts (id),
    created_at            BIGINT NOT NULL,
    settlement            TEXT NOT NULL DEFAULT 'billing_center'
                          CHECK (settlement IN ('billing_center', 'cloud')),
    settlement_changed_at BIGINT,
    locked_at             BIGINT,
    lock_reason           TEXT CHECK (lock_reason IN ('arrears', 'subscription_ended', 'operator')),
    bound_at              BIGINT,
    UNIQUE (site_code, workspace_uuid)
);
INSERT INTO site_workspaces (id, workspace_uuid, name, site_code, billing_account_id, created_at, bound_at)
    SELECT id, workspace_uuid, name, site_code, billing_account_id, created_at,
           CASE WHEN billing_account_id IS NULL THEN NULL ELSE created_at END
    FROM workspaces;
DROP TABLE workspaces;
ALTER TABLE site_workspaces RENAME TO workspaces;
CREATE INDEX workspaces_by_account ON workspaces (billing_account_id);

-- Every change of a workspace: bound, unbound, settlement changed, locked, unlocked; who or
-- what did it and why. Kept when the workspace moves to another account.
CREATE TABLE workspace_events (
    id                 INTEGER PRIMARY KEY AUTOINCREMENT,
    workspace_id       BIGINT NOT NULL REFERENCES workspaces (id),
    billing_account_id BIGINT REFERENCES billing_accounts (id),
    kind               TEXT NOT NULL,
    detail             TEXT NOT NULL,
    actor              TEXT NOT NULL,
    created_at         BIGINT NOT NULL
);
CREATE INDEX workspace_events_by_workspace ON workspace_events (workspace_id, id);

-- A bind token or code is used once: its nonce is kept until well after it expires.
CREATE TABLE bind_nonces (
    site_code  TEXT NOT NULL REFERENCES sites (code),
    nonce      TEXT NOT NULL,
    expires_at BIGINT NOT NULL,
    used_at    BIGINT NOT NULL,
    PRIMARY KEY (site_code, nonce)
);
CREATE INDEX bind_nonces_by_expiry ON bind_nonces (expires_at);

-- An account's time in arrears (spec section 5): opened when a charge leaves it owing, with an
-- email; a reminder near the end of the settlement period; then the workspaces the Billing
-- Center account pays lock. Cleared (and they unlock) once nothing is owed. One open period
-- per account at most.
CREATE TABLE arrears_periods (
    id                 INTEGER PRIMARY KEY AUTOINCREMENT,
    billing_account_id BIGINT NOT NULL REFERENCES billing_accounts (id),
    started_at         BIGINT NOT NULL,
    lock_at            BIGINT NOT NULL,
    reminded_at        BIGINT,
    locked_at          BIGINT,
    cleared_at         BIGINT
);
CREATE UNIQUE INDEX arrears_periods_open ON arrears_periods (billing_account_id) WHERE cleared_at IS NULL;
-- The timer looks for accounts that owe every 30 seconds: only their arrears accounts are read.
CREATE INDEX ledger_accounts_owing ON ledger_accounts (billing_account_id)
    WHERE kind = 'arrears' AND balance < 0;

-- Where a site wants to hear of its workspaces' changes (set by `server site webhook`).
CREATE TABLE site_webhooks (
    site_code  TEXT PRIMARY KEY REFERENCES sites (code),
    url        TEXT NOT NULL,
    created_at BIGINT NOT NULL
);

-- A workspace's change for its site's webhook, written in the transaction of the change and
-- delivered after it (at least once, retried with backoff; the event id lets the site drop a
-- repeat).
CREATE TABLE site_events (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    event_id        TEXT NOT NULL UNIQUE,
    site_code       TEXT NOT NULL REFERENCES sites (code),
    workspace_uuid  TEXT NOT NULL,
    payload         TEXT NOT NULL,
    created_at      BIGINT NOT NULL,
    next_attempt_at BIGINT NOT NULL,
    attempts        BIGINT NOT NULL DEFAULT 0,
    delivered_at    BIGINT,
    last_error      TEXT
);
CREATE INDEX site_events_due ON site_events (delivered_at, next_attempt_at);
-- A workspace's events go out in order: a later one waits for the earlier.
CREATE INDEX site_events_by_workspace ON site_events (site_code, workspace_uuid, id);
