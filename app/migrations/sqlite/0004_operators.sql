-- Operators and what only they do (issue #4): the operator role, voucher activation codes, and
-- the card expiry reminder's mark.

-- An account in this table may use the operator console (BC_OPERATOR_EMAIL's account may too).
CREATE TABLE operators (
    account_id BIGINT PRIMARY KEY REFERENCES billing_accounts (id),
    granted_by TEXT NOT NULL,
    granted_at BIGINT NOT NULL
);

-- A batch of activation codes, each worth one voucher of the batch's value.
CREATE TABLE voucher_code_batches (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    currency        TEXT NOT NULL CHECK (currency IN ('CNY', 'USD')),
    denomination    BIGINT NOT NULL CHECK (denomination > 0),
    -- Billing item codes the vouchers may pay for, comma-separated; empty for every item.
    scope           TEXT NOT NULL DEFAULT '',
    -- The voucher is valid this many days from its activation.
    validity_days   BIGINT NOT NULL CHECK (validity_days > 0),
    -- Codes activate until then.
    codes_expire_at BIGINT NOT NULL,
    quantity        BIGINT NOT NULL CHECK (quantity > 0),
    note            TEXT NOT NULL DEFAULT '',
    created_by      TEXT NOT NULL,
    created_at      BIGINT NOT NULL
);

-- Codes are derived from a server secret, the batch and the position, so only their hash is
-- stored; an operator can download a batch again.
CREATE TABLE voucher_codes (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    batch_id    BIGINT NOT NULL REFERENCES voucher_code_batches (id),
    position    BIGINT NOT NULL,
    code_hash   TEXT NOT NULL UNIQUE,
    redeemed_by BIGINT REFERENCES billing_accounts (id),
    redeemed_at BIGINT,
    voucher_id  BIGINT
);
CREATE INDEX voucher_codes_by_batch ON voucher_codes (batch_id, position);

-- When the expiry reminder went out (claimed before sending, so one replica sends it).
ALTER TABLE prepaid_cards ADD COLUMN reminded_at BIGINT;
