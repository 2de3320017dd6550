-- What a marketplace was asked to collect. The cloud-settled parts of a cloud account's daily
-- lines that are not yet reported are gathered, at most once an hour, into one report: a
-- quantity (the amount in minor units: each marketplace listing meters one dimension priced at
-- one minor unit), a time fixed when it is made and a random record key. A retry sends the
-- same record (AWS answers an identical repeat as a success). `uncertain` is set once an
-- attempt may have reached the marketplace without an answer; a report past the
-- marketplace's window that was never uncertain is `expired` and its parts gathered again.
CREATE TABLE cloud_reports (
    id               INTEGER PRIMARY KEY AUTOINCREMENT,
    cloud_account_id BIGINT NOT NULL REFERENCES cloud_accounts (id),
    quantity         BIGINT NOT NULL CHECK (quantity >= 0),
    currency         TEXT NOT NULL,
    period_start     BIGINT NOT NULL,
    metered_at       BIGINT NOT NULL,
    status           TEXT NOT NULL CHECK (status IN ('pending', 'accepted', 'refused', 'expired')),
    record_key       TEXT NOT NULL,
    uncertain        BIGINT NOT NULL DEFAULT 0,
    attempts         BIGINT NOT NULL DEFAULT 0,
    next_attempt_at  BIGINT NOT NULL,
    answer           TEXT,
    created_at       BIGINT NOT NULL,
    settled_at       BIGINT,
    UNIQUE (cloud_account_id, metered_at)
);
CREATE INDEX cloud_reports_due ON cloud_reports (status, next_attempt_at);

ALTER TABLE cloud_meterings ADD COLUMN report_id BIGINT REFERENCES cloud_reports (id);
CREATE INDEX cloud_meterings_unreported ON cloud_meterings (cloud_account_id, id) WHERE report_id IS NULL;

-- The marketplaces' side in development: what each simulator accepted, by the record's own
-- key, so that a repeat is answered as the marketplace answers it.
CREATE TABLE simulated_meterings (
    cloud       TEXT NOT NULL,
    record_key  TEXT NOT NULL,
    subject     TEXT NOT NULL,
    quantity    TEXT NOT NULL,
    received_at BIGINT NOT NULL,
    PRIMARY KEY (cloud, record_key)
);
