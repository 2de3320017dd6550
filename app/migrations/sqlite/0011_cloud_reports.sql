-- What a marketplace was asked to collect. The cloud-settled parts of a cloud account's daily
-- lines that are not yet reported are gathered into one report, with a quantity (the amount in
-- minor units: each marketplace listing meters one dimension priced at one minor unit) and a
-- time fixed when it is made. A retry sends the same record at the same time, which every
-- marketplace takes as a repeat (AWS: DuplicateRecord), so nothing is collected twice.
CREATE TABLE cloud_reports (
    id               INTEGER PRIMARY KEY AUTOINCREMENT,
    cloud_account_id BIGINT NOT NULL REFERENCES cloud_accounts (id),
    quantity         BIGINT NOT NULL CHECK (quantity >= 0),
    currency         TEXT NOT NULL,
    period_start     BIGINT NOT NULL,
    metered_at       BIGINT NOT NULL,
    status           TEXT NOT NULL CHECK (status IN ('pending', 'accepted', 'refused')),
    attempts         BIGINT NOT NULL DEFAULT 0,
    next_attempt_at  BIGINT NOT NULL,
    answer           TEXT,
    created_at       BIGINT NOT NULL,
    settled_at       BIGINT,
    UNIQUE (cloud_account_id, metered_at)
);
CREATE INDEX cloud_reports_due ON cloud_reports (status, next_attempt_at);

ALTER TABLE cloud_meterings ADD COLUMN report_id BIGINT REFERENCES cloud_reports (id);
CREATE INDEX cloud_meterings_unreported ON cloud_meterings (cloud_account_id, report_id);

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
