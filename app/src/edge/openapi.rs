//! `GET /api/openapi.json`: an OpenAPI 3.1 description of every endpoint a machine calls (the
//! site API, usage ingestion, the payment provider's callback, the cloud marketplaces' calls) and of the webhook sites receive. Written from
//! the same constants the handlers use, so a renamed header or path changes both.
use crate::cloud_accounts::{aliyun, aws, huawei};
use crate::funds::payment;
use crate::metering::http::USAGE_PATH;
use crate::workspaces::http::{ENTITLEMENT_PATH, REGISTER_PATH};
use crate::workspaces::site_api;
use crate::workspaces::webhooks;
use serde_json::{json, Value};

fn header(name: &str, description: &str) -> Value {
    json!({"name": name, "in": "header", "required": true, "schema": {"type": "string"}, "description": description})
}

fn site_headers() -> Value {
    json!([
        header(site_api::SITE_HEADER, "The site code, e.g. CN1."),
        header(site_api::VERSION_HEADER, "The version of the site's key that signed the request."),
        header(site_api::TIMESTAMP_HEADER, "Unix seconds; refused when more than 300 s from the server's clock."),
        header(site_api::SIGNATURE_HEADER, "Hex HMAC-SHA256 under the site's key of `<timestamp>.<path>.<body>`."),
    ])
}

fn refusals() -> Value {
    json!({
        "400": {"description": "Malformed body", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}},
        "401": {"description": "Unsigned, unknown key, bad signature or stale timestamp; nothing changed", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}},
        "413": {"description": "Body larger than 16 KiB"}
    })
}

/// The document.
pub fn document(origin: &str) -> Value {
    let mut entitlement_answers = refusals();
    entitlement_answers["200"] = json!({"description": "The workspace's state", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Entitlement"}}}});
    entitlement_answers["404"] = json!({"description": "No such workspace on this site"});
    let mut register_answers = refusals();
    register_answers["200"] = entitlement_answers["200"].clone();
    let mut usage_answers = refusals();
    usage_answers["200"] = json!({"description": "Each record accepted, a duplicate (counted before) or refused with its reason", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/UsageAnswer"}}}});
    usage_answers["413"] = json!({"description": "More than 10,000 records, or a body (as sent or unpacked) over 8 MiB"});
    json!({
        "openapi": "3.1.0",
        "info": {"title": "Billing Center machine API", "version": "1"},
        "servers": [{"url": origin}],
        "paths": {
            ENTITLEMENT_PATH: {"post": {
                "summary": "A workspace's state and whether the site may take in its data",
                "parameters": site_headers(),
                "requestBody": {"required": true, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/WorkspaceRef"}}}},
                "responses": entitlement_answers
            }},
            REGISTER_PATH: {"post": {
                "summary": "Tells the Billing Center of a workspace of the site, or of its new name",
                "parameters": site_headers(),
                "requestBody": {"required": true, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Workspace"}}}},
                "responses": register_answers
            }},
            USAGE_PATH: {"post": {
                "summary": "A batch of hourly usage records of the site's workspaces; gzip accepted (Content-Encoding: gzip, signed over the body as sent)",
                "parameters": site_headers(),
                "requestBody": {"required": true, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/UsageBatch"}}}},
                "responses": usage_answers
            }},
            "/payments/callback/{provider}": {"post": {
                "summary": "A payment provider reports a recharge order's outcome; credited exactly once",
                "parameters": [
                    {"name": "provider", "in": "path", "required": true, "schema": {"type": "string"}},
                    header(payment::TIMESTAMP_HEADER, "Unix seconds, within 300 s."),
                    header(payment::SIGNATURE_HEADER, "Hex HMAC-SHA256 under the provider's secret of `<timestamp>.<body>`.")
                ],
                "requestBody": {"required": true, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/PaymentCallback"}}}},
                "responses": {"200": {"description": "Settled (or already settled)"}, "400": {"description": "Malformed, or amount or currency differs from the order"}, "401": {"description": "Bad signature or stale"}, "404": {"description": "Unknown order or provider"}, "409": {"description": "The provider's transaction id was used for another order"}}
            }},
            aliyun::PATH: {"get": {
                "summary": "Alibaba Cloud Marketplace SaaS SPI: createInstance, renewInstance, expiredInstance, releaseInstance, refundRenewInstance",
                "parameters": [
                    {"name": "action", "in": "query", "required": true, "schema": {"type": "string"}},
                    {"name": "token", "in": "query", "required": true, "schema": {"type": "string"}, "description": "Lower-case hex MD5 of every other parameter sorted by name as `k=v&...`, then `&key=<SPI key>`."}
                ],
                "responses": {"200": {"description": "`{\"instanceId\", \"appInfo\"}` for createInstance (the same on every repeat), `{\"success\": \"true\"}` otherwise"}, "400": {"description": "Malformed, or an expiry before the subscription's end"}, "401": {"description": "Bad token; nothing changed"}, "404": {"description": "Unknown instance"}, "503": {"description": "No SPI key configured"}}
            }},
            huawei::PATH: {"post": {
                "summary": "Huawei Cloud KooGallery SaaS interface V2: newInstance, refreshInstance, updateInstanceStatus, releaseInstance",
                "parameters": [
                    {"name": "signature", "in": "query", "required": true, "schema": {"type": "string"}, "description": "Hex HMAC-SHA256 under the access key of accessKey + nonce + timestamp + hex HMAC-SHA256(accessKey, body)."},
                    {"name": "timestamp", "in": "query", "required": true, "schema": {"type": "string"}, "description": "Unix milliseconds, within 60 s."},
                    {"name": "nonce", "in": "query", "required": true, "schema": {"type": "string"}}
                ],
                "requestBody": {"required": true, "content": {"application/json": {"schema": {"type": "object"}}}},
                "responses": {"200": {"description": "`resultCode` 000000; a `Body-Sign` header signs the answer"}, "400": {"description": "000002 malformed"}, "401": {"description": "000001 bad signature or stale"}, "404": {"description": "000003 unknown instance"}}
            }},
            aws::REGISTER_PATH: {"post": {
                "summary": "AWS Marketplace fulfilment: the buyer's browser posts its registration token; redeemed with ResolveCustomer, then the buyer is sent to link the subscription",
                "requestBody": {"required": true, "content": {"application/x-www-form-urlencoded": {"schema": {"type": "object", "properties": {"x-amzn-marketplace-token": {"type": "string"}}}}}},
                "responses": {"303": {"description": "To the page that links the subscription"}, "401": {"description": "No token, or one AWS does not know"}, "502": {"description": "ResolveCustomer failed"}}
            }},
            aws::SNS_PATH: {"post": {
                "summary": "AWS Marketplace SNS subscription notifications (subscribe-success, subscribe-fail, unsubscribe-pending, unsubscribe-success) and subscription confirmations; SignatureVersion 1 or 2, certificate from sns.<region>.amazonaws.com",
                "requestBody": {"required": true, "content": {"text/plain": {"schema": {"type": "string"}}}},
                "responses": {"200": {"description": "Acted on (once per MessageId)"}, "401": {"description": "Bad signature, certificate address or topic, or stale"}}
            }}
        },
        "webhooks": {
            "workspaceChanged": {"post": {
                "summary": "A workspace of the site was bound, unbound, locked, unlocked or changed settlement. Delivered at least once and in order per workspace, retried with backoff; drop repeats by event id. Answer 2xx.",
                "parameters": [
                    header(webhooks::EVENT_HEADER, "The event's id, the same on every retry."),
                    header(site_api::SITE_HEADER, "The site code."),
                    header(site_api::VERSION_HEADER, "The version of the site's key that signed it."),
                    header(site_api::TIMESTAMP_HEADER, "Unix seconds."),
                    header(site_api::SIGNATURE_HEADER, "Hex HMAC-SHA256 under the site's key of `<timestamp>.webhook.<body>`.")
                ],
                "requestBody": {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/WorkspaceEvent"}}}},
                "responses": {"200": {"description": "Received"}}
            }}
        },
        "components": {"schemas": {
            "Error": {"type": "object", "properties": {"error": {"type": "string"}}},
            "WorkspaceRef": {"type": "object", "required": ["workspace_id"], "properties": {"workspace_id": {"type": "string", "pattern": "^[A-Za-z0-9_-]{1,64}$"}}},
            "Workspace": {"type": "object", "required": ["workspace_id", "name"], "properties": {"workspace_id": {"type": "string", "pattern": "^[A-Za-z0-9_-]{1,64}$"}, "name": {"type": "string", "maxLength": 100}}},
            "Entitlement": {"type": "object", "properties": {
                "workspace_id": {"type": "string"}, "site": {"type": "string"}, "bound": {"type": "boolean"},
                "state": {"enum": ["normal", "in_arrears", "locked", "unbound"]},
                "may_ingest": {"type": "boolean"},
                "settlement": {"enum": ["billing_center", "cloud", null]},
                "lock_reason": {"enum": ["arrears", "subscription_ended", "operator", null]}
            }},
            "WorkspaceEvent": {"type": "object", "properties": {
                "event_id": {"type": "string"},
                "kind": {"enum": ["bound", "unbound", "settlement_changed", "locked", "unlocked"]},
                "at": {"type": "integer", "description": "Unix milliseconds, UTC"},
                "workspace": {"$ref": "#/components/schemas/Entitlement"}
            }},
            "UsageBatch": {"type": "object", "required": ["records"], "additionalProperties": false, "properties": {
                "records": {"type": "array", "maxItems": 10000, "items": {"type": "object", "additionalProperties": false,
                    "required": ["record_id", "workspace_id", "item", "hour", "quantity"], "properties": {
                    "record_id": {"type": "string", "maxLength": 128, "description": "The idempotency key, unique per site: the same id with the same content is a duplicate, with other content refused"},
                    "workspace_id": {"type": "string", "pattern": "^[A-Za-z0-9_-]{1,64}$"},
                    "item": {"type": "string", "description": "A billing item code of the price list, e.g. logs, time_series"},
                    "tier": {"type": "string", "description": "Retention tier, e.g. 30d; empty or absent for items without tiers"},
                    "hour": {"type": "string", "format": "date-time", "description": "Start of the UTC hour, e.g. 2026-12-03T10:00:00Z; at most 1 hour ahead, at most 100 days old"},
                    "quantity": {"type": "string", "pattern": "^[0-9]+(\\.[0-9]{1,6})?$", "description": "Decimal string (never a JSON number), at most 1,000,000,000,000"}
                }}}
            }},
            "UsageAnswer": {"type": "object", "properties": {
                "accepted": {"type": "array", "items": {"type": "string"}},
                "duplicates": {"type": "array", "items": {"type": "string"}},
                "refused": {"type": "array", "items": {"type": "object", "properties": {"record_id": {"type": "string"}, "reason": {"type": "string"}}}}
            }},
            "PaymentCallback": {"type": "object", "required": ["order_no", "provider_txn_id", "amount", "currency", "status"], "properties": {
                "order_no": {"type": "string"}, "provider_txn_id": {"type": "string"},
                "amount": {"type": "string", "description": "Decimal string, e.g. \"100.00\""},
                "currency": {"enum": ["CNY", "USD"]}, "status": {"enum": ["paid", "failed"]}
            }}
        }}
    })
}
