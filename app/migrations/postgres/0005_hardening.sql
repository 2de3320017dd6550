-- Limits that hold under concurrency, and messages sent after their transaction commits.

-- One counter per limited thing (codes to an address, sign-in attempts for an address, ...):
-- taken by one conditional upsert, so parallel requests never get more than the limit.
CREATE TABLE rate_limits (
    name         TEXT PRIMARY KEY,
    window_start BIGINT NOT NULL,
    hits         BIGINT NOT NULL
);
CREATE INDEX rate_limits_window ON rate_limits (window_start);

-- Email and text messages waiting to go out: written in the transaction that caused them,
-- delivered after it commits (claimed by one replica at a time, retried until sent).
CREATE TABLE outgoing_messages (
    id            BIGSERIAL PRIMARY KEY,
    channel       TEXT NOT NULL CHECK (channel IN ('email', 'sms')),
    address       TEXT NOT NULL,
    subject       TEXT NOT NULL,
    body          TEXT NOT NULL,
    created_at    BIGINT NOT NULL,
    attempts      BIGINT NOT NULL DEFAULT 0,
    claimed_until BIGINT,
    sent_at       BIGINT,
    failed_at     BIGINT,
    last_error    TEXT
);
CREATE INDEX outgoing_messages_due ON outgoing_messages (sent_at, failed_at, claimed_until);
CREATE INDEX outgoing_messages_created ON outgoing_messages (created_at);
