-- Cloud accounts: a subscription bought on a cloud marketplace (AWS, Alibaba Cloud, Huawei
-- Cloud) that pays for workspaces, the calls each marketplace made about it, and the choice of
-- how each workspace is paid.

-- One marketplace subscription. It arrives from the marketplace bound to no one; the buyer then
-- opens its link and signs in, which links it to their billing account. `subscription_ref` is
-- the marketplace's own key for it (AWS: account id and licence ARN; Alibaba Cloud: orderBizId;
-- Huawei Cloud: orderId and orderLineId), `cloud_account_ref` the buyer's account there.
CREATE TABLE cloud_accounts (
    id                 INTEGER PRIMARY KEY AUTOINCREMENT,
    cloud              TEXT NOT NULL CHECK (cloud IN ('aliyun', 'aws', 'huawei')),
    subscription_ref   TEXT NOT NULL,
    cloud_account_ref  TEXT NOT NULL,
    customer_ref       TEXT,
    product_code       TEXT NOT NULL,
    status             TEXT NOT NULL
                       CHECK (status IN ('pending', 'active', 'ending', 'suspended', 'ended', 'failed')),
    billing_account_id BIGINT REFERENCES billing_accounts (id),
    expires_at         BIGINT,
    created_at         BIGINT NOT NULL,
    linked_at          BIGINT,
    ended_at           BIGINT,
    UNIQUE (cloud, subscription_ref)
);
CREATE INDEX cloud_accounts_by_account ON cloud_accounts (billing_account_id);
-- AWS's notifications name the customer by its identifier, not by the subscription's key.
CREATE INDEX cloud_accounts_by_customer ON cloud_accounts (cloud, customer_ref, product_code);

-- Every marketplace call that was acted on, by a key of what it says: the same call again
-- (a retry, or a replay: Alibaba Cloud's protocol has no nonce) changes nothing twice.
CREATE TABLE marketplace_calls (
    cloud            TEXT NOT NULL,
    call_key         TEXT NOT NULL,
    cloud_account_id BIGINT REFERENCES cloud_accounts (id),
    action           TEXT NOT NULL,
    subject          TEXT,
    received_at      BIGINT NOT NULL,
    PRIMARY KEY (cloud, call_key)
);

-- A call about a subscription not yet known (AWS may say subscribe-success before the buyer
-- finishes registering) is kept by its subject, and applied when the subscription arrives.
CREATE INDEX marketplace_calls_by_subject ON marketplace_calls (cloud, subject);

-- The certificates AWS signs its notifications with, fetched once from an allowed address
-- and shared by every replica.
CREATE TABLE marketplace_certificates (
    url        TEXT PRIMARY KEY,
    pem        TEXT NOT NULL,
    fetched_at BIGINT NOT NULL
);

-- The cloud account a workspace settled by a cloud pays through.
ALTER TABLE workspaces ADD COLUMN cloud_account_id BIGINT REFERENCES cloud_accounts (id);
CREATE INDEX workspaces_by_cloud_account ON workspaces (cloud_account_id);

-- When an operator allowed the account to settle a workspace through any cloud's account, not
-- only its site's cloud (NULL: only the site's cloud).
ALTER TABLE billing_accounts ADD COLUMN any_cloud_since BIGINT;
