-- Foundation: the sites workspaces live on, billing accounts, bound workspaces.
-- Stored formats (both backends): money as BIGINT minor units, times as BIGINT Unix milliseconds.

CREATE TABLE sites (
    code     TEXT PRIMARY KEY,
    location TEXT NOT NULL,
    cloud    TEXT CHECK (cloud IN ('aliyun', 'aws', 'huawei')),
    currency TEXT NOT NULL CHECK (currency IN ('CNY', 'USD')),
    position INTEGER NOT NULL
);

-- Spec section 1 names a cloud only for CN1, CN2 and CN4; CN5's location is not given
-- (Decision: "Mainland China"). Sites are data: a new one is a migration, not code.
INSERT INTO sites (code, location, cloud, currency, position) VALUES
    ('CN1', 'Hangzhou', 'aliyun', 'CNY', 1),
    ('CN2', 'Ningxia', 'aws', 'CNY', 2),
    ('CN4', 'Guangzhou', 'huawei', 'CNY', 3),
    ('CN5', 'Mainland China', NULL, 'CNY', 4),
    ('CN6', 'Hong Kong', NULL, 'CNY', 5),
    ('US1', 'Oregon', NULL, 'USD', 6),
    ('EU1', 'Frankfurt', NULL, 'USD', 7),
    ('AP1', 'Singapore', NULL, 'USD', 8);

CREATE TABLE billing_accounts (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    company_name TEXT NOT NULL,
    currency     TEXT NOT NULL CHECK (currency IN ('CNY', 'USD')),
    site_code    TEXT NOT NULL REFERENCES sites (code),
    created_at   BIGINT NOT NULL
);

CREATE TABLE workspaces (
    id                 INTEGER PRIMARY KEY AUTOINCREMENT,
    workspace_uuid     TEXT NOT NULL UNIQUE,
    name               TEXT NOT NULL,
    site_code          TEXT NOT NULL REFERENCES sites (code),
    billing_account_id BIGINT REFERENCES billing_accounts (id),
    created_at         BIGINT NOT NULL
);
CREATE INDEX workspaces_by_account ON workspaces (billing_account_id);
