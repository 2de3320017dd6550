-- The double-entry ledger (issue #4). Amounts are BIGINT minor units (cents / fen).
-- Every journal transaction's postings sum to zero per currency. A customer's holdings (cash,
-- each voucher, each prepaid card, arrears) are ledger accounts with a running balance kept in
-- step by the same database transaction that posts; the house accounts (clearing, revenue, ...)
-- keep none, so no single row is written by every charge: their balance is the sum of postings.

CREATE TABLE ledger_accounts (
    id                 INTEGER PRIMARY KEY AUTOINCREMENT,
    billing_account_id BIGINT REFERENCES billing_accounts (id),
    kind               TEXT NOT NULL,
    instrument_id      BIGINT NOT NULL DEFAULT 0,
    currency           TEXT NOT NULL CHECK (currency IN ('CNY', 'USD')),
    keeps_balance      BIGINT NOT NULL,
    -- Holdings never go below zero, arrears never above it (they are what the customer owes).
    balance            BIGINT NOT NULL DEFAULT 0,
    created_at         BIGINT NOT NULL,
    CHECK (kind <> 'arrears' OR balance <= 0),
    CHECK (kind NOT IN ('cash', 'voucher', 'prepaid_card') OR balance >= 0)
);
-- One ledger account per (billing account, kind, instrument); house accounts have billing account 0.
CREATE UNIQUE INDEX ledger_accounts_identity
    ON ledger_accounts (COALESCE(billing_account_id, 0), kind, instrument_id, currency);

CREATE TABLE journal_transactions (
    id                 INTEGER PRIMARY KEY AUTOINCREMENT,
    billing_account_id BIGINT REFERENCES billing_accounts (id),
    kind               TEXT NOT NULL,
    reference          TEXT NOT NULL,
    actor              TEXT NOT NULL,
    idempotency_key    TEXT NOT NULL UNIQUE,
    content_hash       TEXT NOT NULL,
    created_at         BIGINT NOT NULL
);
CREATE INDEX journal_by_account ON journal_transactions (billing_account_id, created_at, id);

CREATE TABLE postings (
    id                INTEGER PRIMARY KEY AUTOINCREMENT,
    transaction_id    BIGINT NOT NULL REFERENCES journal_transactions (id),
    ledger_account_id BIGINT NOT NULL REFERENCES ledger_accounts (id),
    currency          TEXT NOT NULL,
    amount            BIGINT NOT NULL CHECK (amount <> 0),
    -- Copied from the ledger account and journal transaction for income & expenditure, which
    -- then reads one index range per account however many rows there are. Set for holdings only.
    billing_account_id BIGINT,
    kind              TEXT NOT NULL,
    created_at        BIGINT NOT NULL
);
CREATE INDEX postings_by_transaction ON postings (transaction_id);
CREATE INDEX postings_by_ledger_account ON postings (ledger_account_id, id);
CREATE INDEX postings_by_billing_account ON postings (billing_account_id, id);

-- Online recharges: an order the payment provider's signed callback settles exactly once.
CREATE TABLE recharge_orders (
    id                 INTEGER PRIMARY KEY AUTOINCREMENT,
    order_no           TEXT NOT NULL UNIQUE,
    billing_account_id BIGINT NOT NULL REFERENCES billing_accounts (id),
    currency           TEXT NOT NULL CHECK (currency IN ('CNY', 'USD')),
    amount             BIGINT NOT NULL CHECK (amount > 0),
    provider           TEXT NOT NULL,
    status             TEXT NOT NULL CHECK (status IN ('pending', 'paid', 'failed')),
    provider_txn_id    TEXT UNIQUE,
    created_at         BIGINT NOT NULL,
    expires_at         BIGINT NOT NULL,
    settled_at         BIGINT
);
CREATE INDEX recharge_orders_by_account ON recharge_orders (billing_account_id, created_at);

-- Vouchers and prepaid cards; each one's remaining value is its own ledger account
-- (kind 'voucher' / 'prepaid_card', instrument_id = the row's id).
CREATE TABLE vouchers (
    id                 INTEGER PRIMARY KEY AUTOINCREMENT,
    billing_account_id BIGINT NOT NULL REFERENCES billing_accounts (id),
    kind               TEXT NOT NULL CHECK (kind IN ('regular', 'discount')),
    currency           TEXT NOT NULL CHECK (currency IN ('CNY', 'USD')),
    denomination       BIGINT NOT NULL CHECK (denomination > 0),
    -- Billing item codes it may pay for, comma-separated; empty for every item.
    scope              TEXT NOT NULL DEFAULT '',
    status             TEXT NOT NULL CHECK (status IN ('active', 'expired')),
    activated_at       BIGINT NOT NULL,
    expires_at         BIGINT NOT NULL
);
CREATE INDEX vouchers_by_account ON vouchers (billing_account_id, status, expires_at);

CREATE TABLE prepaid_cards (
    id                 INTEGER PRIMARY KEY AUTOINCREMENT,
    card_no            TEXT NOT NULL UNIQUE,
    billing_account_id BIGINT NOT NULL REFERENCES billing_accounts (id),
    currency           TEXT NOT NULL CHECK (currency IN ('CNY', 'USD')),
    denomination       BIGINT NOT NULL CHECK (denomination > 0),
    source             TEXT NOT NULL CHECK (source IN ('purchase', 'operator')),
    status             TEXT NOT NULL CHECK (status IN ('active', 'expired')),
    purchased_at       BIGINT NOT NULL,
    expires_at         BIGINT NOT NULL
);
CREATE INDEX prepaid_cards_by_account ON prepaid_cards (billing_account_id, status, expires_at);
