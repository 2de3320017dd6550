-- Metering and rating: what a workspace is charged for, the price list (data with effective
-- days, never code), the usage the sites report hour by hour, and the daily lines rated from it.

-- A billing item: how its hourly values count into a day (time series: the largest of the
-- day's hours; everything else: their sum), the unit its price is written per, and whether
-- vouchers may pay it (SMS and synthetic tests: cash or prepaid cards only).
CREATE TABLE billing_items (
    code             TEXT PRIMARY KEY,
    name_en          TEXT NOT NULL,
    name_zh          TEXT NOT NULL,
    unit_size        BIGINT NOT NULL CHECK (unit_size > 0),
    unit_en          TEXT NOT NULL,
    unit_zh          TEXT NOT NULL,
    counting         TEXT NOT NULL CHECK (counting IN ('max', 'sum')),
    vouchers_allowed BIGINT NOT NULL CHECK (vouchers_allowed IN (0, 1)),
    position         BIGINT NOT NULL
);

-- A price list of one currency, in force from its first day (in the billing zone of the site
-- whose day is rated) until the next version's. A rated day keeps the version it was rated at:
-- a new version starts no earlier than tomorrow.
CREATE TABLE price_versions (
    id             INTEGER PRIMARY KEY AUTOINCREMENT,
    currency       TEXT NOT NULL CHECK (currency IN ('CNY', 'USD')),
    effective_from TEXT NOT NULL,
    note           TEXT NOT NULL,
    created_by     TEXT NOT NULL,
    created_at     BIGINT NOT NULL,
    UNIQUE (currency, effective_from)
);

-- A version's price of an item at a retention tier ('' where the item has none), in millionths
-- of the currency's major unit per unit size: 0.6 CNY per 1,000 time series is 600000.
CREATE TABLE prices (
    version_id        BIGINT NOT NULL REFERENCES price_versions (id),
    item_code         TEXT NOT NULL REFERENCES billing_items (code),
    tier              TEXT NOT NULL,
    unit_price_micros BIGINT NOT NULL CHECK (unit_price_micros >= 0),
    position          BIGINT NOT NULL,
    PRIMARY KEY (version_id, item_code, tier)
);

-- One usage record as a site reported it: its id is the site's idempotency key. The quantity
-- is in millionths; `day` is the billing day (site's zone) its hour falls on; `rated_at` is
-- set when a rating run has counted it.
CREATE TABLE usage_records (
    id                 INTEGER PRIMARY KEY AUTOINCREMENT,
    site_code          TEXT NOT NULL REFERENCES sites (code),
    record_id          TEXT NOT NULL,
    workspace_id       BIGINT NOT NULL REFERENCES workspaces (id),
    billing_account_id BIGINT NOT NULL REFERENCES billing_accounts (id),
    item_code          TEXT NOT NULL REFERENCES billing_items (code),
    tier               TEXT NOT NULL,
    hour               BIGINT NOT NULL,
    day                TEXT NOT NULL,
    quantity_micros    BIGINT NOT NULL CHECK (quantity_micros >= 0),
    received_at        BIGINT NOT NULL,
    rated_at           BIGINT,
    UNIQUE (site_code, record_id)
);
CREATE INDEX usage_records_unrated ON usage_records (site_code, day) WHERE rated_at IS NULL;
CREATE INDEX usage_records_by_day ON usage_records (workspace_id, day, item_code, tier, hour);

-- A daily line: one workspace's usage of one item and tier on one day, rated. Revision 0 is the
-- original; a later one is a restatement for records that arrived after the day was rated: it
-- posts only the difference (`amount`) and keeps the day's total before it (`previous_amount`).
-- A posted line is never rewritten.
CREATE TABLE daily_lines (
    id                 INTEGER PRIMARY KEY AUTOINCREMENT,
    billing_account_id BIGINT NOT NULL REFERENCES billing_accounts (id),
    workspace_id       BIGINT NOT NULL REFERENCES workspaces (id),
    day                TEXT NOT NULL,
    item_code          TEXT NOT NULL REFERENCES billing_items (code),
    tier               TEXT NOT NULL,
    revision           BIGINT NOT NULL,
    currency           TEXT NOT NULL,
    quantity_micros    BIGINT NOT NULL,
    records            BIGINT NOT NULL,
    late_records       BIGINT NOT NULL,
    price_version_id   BIGINT NOT NULL REFERENCES price_versions (id),
    unit_price_micros  BIGINT NOT NULL,
    unit_size          BIGINT NOT NULL,
    amount             BIGINT NOT NULL,
    previous_amount    BIGINT NOT NULL,
    settlement         TEXT NOT NULL,
    cloud_account_id   BIGINT REFERENCES cloud_accounts (id),
    journal_id         BIGINT REFERENCES journal_transactions (id),
    rated_at           BIGINT NOT NULL,
    UNIQUE (workspace_id, day, item_code, tier, revision)
);
CREATE INDEX daily_lines_by_account ON daily_lines (billing_account_id, day, id);

-- What a cloud marketplace is to collect for a cloud-settled daily line (the part vouchers and
-- cards did not pay), written with the line and reported to the marketplace after commit
-- (retried with backoff); `answer` keeps what the marketplace said, so each day shows what the
-- cloud accepted.
CREATE TABLE cloud_meterings (
    id               INTEGER PRIMARY KEY AUTOINCREMENT,
    daily_line_id    BIGINT NOT NULL UNIQUE REFERENCES daily_lines (id),
    cloud_account_id BIGINT NOT NULL REFERENCES cloud_accounts (id),
    amount           BIGINT NOT NULL CHECK (amount > 0),
    currency         TEXT NOT NULL,
    status           TEXT NOT NULL CHECK (status IN ('pending', 'accepted', 'refused')),
    attempts         BIGINT NOT NULL DEFAULT 0,
    next_attempt_at  BIGINT NOT NULL,
    claimed_until    BIGINT,
    answer           TEXT,
    created_at       BIGINT NOT NULL,
    accepted_at      BIGINT
);
CREATE INDEX cloud_meterings_due ON cloud_meterings (status, next_attempt_at);

INSERT INTO billing_items (code, name_en, name_zh, unit_size, unit_en, unit_zh, counting, vouchers_allowed, position) VALUES ('time_series', 'Time series', '时间线', 1000, 'per 1,000 time series a day', '每 1,000 条/天', 'max', 1, 1);
INSERT INTO billing_items (code, name_en, name_zh, unit_size, unit_en, unit_zh, counting, vouchers_allowed, position) VALUES ('logs', 'Logs', '日志', 1000000, 'per 1 million entries', '每 100 万条', 'sum', 1, 2);
INSERT INTO billing_items (code, name_en, name_zh, unit_size, unit_en, unit_zh, counting, vouchers_allowed, position) VALUES ('apm_trace', 'APM traces', '应用性能 Trace', 1000000, 'per 1 million traces', '每 100 万条', 'sum', 1, 3);
INSERT INTO billing_items (code, name_en, name_zh, unit_size, unit_en, unit_zh, counting, vouchers_allowed, position) VALUES ('apm_profile', 'APM profiles', '应用性能 Profile', 10000, 'per 10,000 profiles', '每 1 万条', 'sum', 1, 4);
INSERT INTO billing_items (code, name_en, name_zh, unit_size, unit_en, unit_zh, counting, vouchers_allowed, position) VALUES ('rum_pv', 'RUM page views', '用户访问 PV', 10000, 'per 10,000 page views', '每 1 万 PV', 'sum', 1, 5);
INSERT INTO billing_items (code, name_en, name_zh, unit_size, unit_en, unit_zh, counting, vouchers_allowed, position) VALUES ('session_replay', 'Session replay', '会话重放', 1000, 'per 1,000 sessions', '每 1,000 次', 'sum', 1, 6);
INSERT INTO billing_items (code, name_en, name_zh, unit_size, unit_en, unit_zh, counting, vouchers_allowed, position) VALUES ('synthetic_test', 'Synthetic tests', '云拨测', 10000, 'per 10,000 tests', '每 1 万次', 'sum', 0, 7);
INSERT INTO billing_items (code, name_en, name_zh, unit_size, unit_en, unit_zh, counting, vouchers_allowed, position) VALUES ('trigger', 'Triggers', '触发次数', 10000, 'per 10,000 triggers', '每 1 万次', 'sum', 1, 8);
INSERT INTO billing_items (code, name_en, name_zh, unit_size, unit_en, unit_zh, counting, vouchers_allowed, position) VALUES ('sms', 'SMS', '短信', 10, 'per 10 messages', '每 10 条', 'sum', 0, 9);
INSERT INTO billing_items (code, name_en, name_zh, unit_size, unit_en, unit_zh, counting, vouchers_allowed, position) VALUES ('network', 'Network', '网络', 1, 'per host a day', '每台主机/天', 'max', 1, 10);
INSERT INTO billing_items (code, name_en, name_zh, unit_size, unit_en, unit_zh, counting, vouchers_allowed, position) VALUES ('data_forwarding', 'Data forwarding', '数据转发', 1, 'per GB', '每 GB', 'sum', 1, 11);
INSERT INTO billing_items (code, name_en, name_zh, unit_size, unit_en, unit_zh, counting, vouchers_allowed, position) VALUES ('sensitive_data_scan', 'Sensitive data scan', '敏感数据扫描', 1, 'per GB', '每 GB', 'sum', 1, 12);
INSERT INTO billing_items (code, name_en, name_zh, unit_size, unit_en, unit_zh, counting, vouchers_allowed, position) VALUES ('scheduled_report', 'Scheduled reports', '定时报告', 1, 'per report', '每次', 'sum', 1, 13);
INSERT INTO billing_items (code, name_en, name_zh, unit_size, unit_en, unit_zh, counting, vouchers_allowed, position) VALUES ('central_pipeline', 'Central pipeline', '中心 Pipeline', 1, 'per GB', '每 GB', 'sum', 1, 14);

-- The first price lists: the CN sites' table of the product's price list, and an international
-- USD table to start from (operators add versions in the console).
INSERT INTO price_versions (id, currency, effective_from, note, created_by, created_at) VALUES (1, 'CNY', '2020-01-01', 'CN sites'' list price', 'migration', 0);
INSERT INTO prices (version_id, item_code, tier, unit_price_micros, position) VALUES (1, 'time_series', '3d', 600000, 1);
INSERT INTO prices (version_id, item_code, tier, unit_price_micros, position) VALUES (1, 'time_series', '7d', 700000, 2);
INSERT INTO prices (version_id, item_code, tier, unit_price_micros, position) VALUES (1, 'time_series', '14d', 800000, 3);
INSERT INTO prices (version_id, item_code, tier, unit_price_micros, position) VALUES (1, 'time_series', '30d', 1000000, 4);
INSERT INTO prices (version_id, item_code, tier, unit_price_micros, position) VALUES (1, 'time_series', '180d', 4000000, 5);
INSERT INTO prices (version_id, item_code, tier, unit_price_micros, position) VALUES (1, 'time_series', '360d', 7000000, 6);
INSERT INTO prices (version_id, item_code, tier, unit_price_micros, position) VALUES (1, 'logs', '3d', 1000000, 7);
INSERT INTO prices (version_id, item_code, tier, unit_price_micros, position) VALUES (1, 'logs', '7d', 1200000, 8);
INSERT INTO prices (version_id, item_code, tier, unit_price_micros, position) VALUES (1, 'logs', '14d', 1500000, 9);
INSERT INTO prices (version_id, item_code, tier, unit_price_micros, position) VALUES (1, 'logs', '30d', 2000000, 10);
INSERT INTO prices (version_id, item_code, tier, unit_price_micros, position) VALUES (1, 'logs', '60d', 2500000, 11);
INSERT INTO prices (version_id, item_code, tier, unit_price_micros, position) VALUES (1, 'apm_trace', '3d', 2000000, 12);
INSERT INTO prices (version_id, item_code, tier, unit_price_micros, position) VALUES (1, 'apm_trace', '7d', 3000000, 13);
INSERT INTO prices (version_id, item_code, tier, unit_price_micros, position) VALUES (1, 'apm_trace', '14d', 6000000, 14);
INSERT INTO prices (version_id, item_code, tier, unit_price_micros, position) VALUES (1, 'apm_trace', '30d', 10800000, 15);
INSERT INTO prices (version_id, item_code, tier, unit_price_micros, position) VALUES (1, 'apm_trace', '60d', 19440000, 16);
INSERT INTO prices (version_id, item_code, tier, unit_price_micros, position) VALUES (1, 'apm_profile', '3d', 200000, 17);
INSERT INTO prices (version_id, item_code, tier, unit_price_micros, position) VALUES (1, 'apm_profile', '7d', 300000, 18);
INSERT INTO prices (version_id, item_code, tier, unit_price_micros, position) VALUES (1, 'apm_profile', '14d', 500000, 19);
INSERT INTO prices (version_id, item_code, tier, unit_price_micros, position) VALUES (1, 'rum_pv', '3d', 700000, 20);
INSERT INTO prices (version_id, item_code, tier, unit_price_micros, position) VALUES (1, 'rum_pv', '7d', 1000000, 21);
INSERT INTO prices (version_id, item_code, tier, unit_price_micros, position) VALUES (1, 'rum_pv', '14d', 2000000, 22);
INSERT INTO prices (version_id, item_code, tier, unit_price_micros, position) VALUES (1, 'rum_pv', '30d', 3600000, 23);
INSERT INTO prices (version_id, item_code, tier, unit_price_micros, position) VALUES (1, 'rum_pv', '60d', 6480000, 24);
INSERT INTO prices (version_id, item_code, tier, unit_price_micros, position) VALUES (1, 'session_replay', '', 2500000, 25);
INSERT INTO prices (version_id, item_code, tier, unit_price_micros, position) VALUES (1, 'synthetic_test', '', 1000000, 26);
INSERT INTO prices (version_id, item_code, tier, unit_price_micros, position) VALUES (1, 'trigger', '', 1000000, 27);
INSERT INTO prices (version_id, item_code, tier, unit_price_micros, position) VALUES (1, 'sms', '', 1000000, 28);
INSERT INTO prices (version_id, item_code, tier, unit_price_micros, position) VALUES (1, 'network', '', 2000000, 29);
INSERT INTO prices (version_id, item_code, tier, unit_price_micros, position) VALUES (1, 'data_forwarding', '', 350000, 30);
INSERT INTO prices (version_id, item_code, tier, unit_price_micros, position) VALUES (1, 'sensitive_data_scan', '', 100000, 31);
INSERT INTO prices (version_id, item_code, tier, unit_price_micros, position) VALUES (1, 'scheduled_report', '', 1000000, 32);
INSERT INTO prices (version_id, item_code, tier, unit_price_micros, position) VALUES (1, 'central_pipeline', '', 100000, 33);
INSERT INTO price_versions (id, currency, effective_from, note, created_by, created_at) VALUES (2, 'USD', '2020-01-01', 'International list price', 'migration', 0);
INSERT INTO prices (version_id, item_code, tier, unit_price_micros, position) VALUES (2, 'time_series', '3d', 90000, 1);
INSERT INTO prices (version_id, item_code, tier, unit_price_micros, position) VALUES (2, 'time_series', '7d', 100000, 2);
INSERT INTO prices (version_id, item_code, tier, unit_price_micros, position) VALUES (2, 'time_series', '14d', 120000, 3);
INSERT INTO prices (version_id, item_code, tier, unit_price_micros, position) VALUES (2, 'time_series', '30d', 150000, 4);
INSERT INTO prices (version_id, item_code, tier, unit_price_micros, position) VALUES (2, 'time_series', '180d', 600000, 5);
INSERT INTO prices (version_id, item_code, tier, unit_price_micros, position) VALUES (2, 'time_series', '360d', 1000000, 6);
INSERT INTO prices (version_id, item_code, tier, unit_price_micros, position) VALUES (2, 'logs', '3d', 150000, 7);
INSERT INTO prices (version_id, item_code, tier, unit_price_micros, position) VALUES (2, 'logs', '7d', 180000, 8);
INSERT INTO prices (version_id, item_code, tier, unit_price_micros, position) VALUES (2, 'logs', '14d', 220000, 9);
INSERT INTO prices (version_id, item_code, tier, unit_price_micros, position) VALUES (2, 'logs', '30d', 300000, 10);
INSERT INTO prices (version_id, item_code, tier, unit_price_micros, position) VALUES (2, 'logs', '60d', 360000, 11);
INSERT INTO prices (version_id, item_code, tier, unit_price_micros, position) VALUES (2, 'apm_trace', '3d', 300000, 12);
INSERT INTO prices (version_id, item_code, tier, unit_price_micros, position) VALUES (2, 'apm_trace', '7d', 450000, 13);
INSERT INTO prices (version_id, item_code, tier, unit_price_micros, position) VALUES (2, 'apm_trace', '14d', 900000, 14);
INSERT INTO prices (version_id, item_code, tier, unit_price_micros, position) VALUES (2, 'apm_trace', '30d', 1600000, 15);
INSERT INTO prices (version_id, item_code, tier, unit_price_micros, position) VALUES (2, 'apm_trace', '60d', 2900000, 16);
INSERT INTO prices (version_id, item_code, tier, unit_price_micros, position) VALUES (2, 'apm_profile', '3d', 30000, 17);
INSERT INTO prices (version_id, item_code, tier, unit_price_micros, position) VALUES (2, 'apm_profile', '7d', 45000, 18);
INSERT INTO prices (version_id, item_code, tier, unit_price_micros, position) VALUES (2, 'apm_profile', '14d', 75000, 19);
INSERT INTO prices (version_id, item_code, tier, unit_price_micros, position) VALUES (2, 'rum_pv', '3d', 100000, 20);
INSERT INTO prices (version_id, item_code, tier, unit_price_micros, position) VALUES (2, 'rum_pv', '7d', 150000, 21);
INSERT INTO prices (version_id, item_code, tier, unit_price_micros, position) VALUES (2, 'rum_pv', '14d', 300000, 22);
INSERT INTO prices (version_id, item_code, tier, unit_price_micros, position) VALUES (2, 'rum_pv', '30d', 540000, 23);
INSERT INTO prices (version_id, item_code, tier, unit_price_micros, position) VALUES (2, 'rum_pv', '60d', 970000, 24);
INSERT INTO prices (version_id, item_code, tier, unit_price_micros, position) VALUES (2, 'session_replay', '', 360000, 25);
INSERT INTO prices (version_id, item_code, tier, unit_price_micros, position) VALUES (2, 'synthetic_test', '', 150000, 26);
INSERT INTO prices (version_id, item_code, tier, unit_price_micros, position) VALUES (2, 'trigger', '', 150000, 27);
INSERT INTO prices (version_id, item_code, tier, unit_price_micros, position) VALUES (2, 'sms', '', 150000, 28);
INSERT INTO prices (version_id, item_code, tier, unit_price_micros, position) VALUES (2, 'network', '', 300000, 29);
INSERT INTO prices (version_id, item_code, tier, unit_price_micros, position) VALUES (2, 'data_forwarding', '', 50000, 30);
INSERT INTO prices (version_id, item_code, tier, unit_price_micros, position) VALUES (2, 'sensitive_data_scan', '', 15000, 31);
INSERT INTO prices (version_id, item_code, tier, unit_price_micros, position) VALUES (2, 'scheduled_report', '', 150000, 32);
INSERT INTO prices (version_id, item_code, tier, unit_price_micros, position) VALUES (2, 'central_pipeline', '', 15000, 33);
