//! The marketplaces end to end on both backends: each call made by its simulator, sent over
//! HTTP to a server of this process (its router, guards and all), checked, acted on once.
use super::model::{Cloud, CloudAccountStatus};
use super::simulator::{self, aliyun_call, drive, huawei_call, send, Call};
use super::store;
use crate::accounts::service::Client;
use crate::error::AppError;
use crate::messages::Msg;

use crate::server::db::Db;
use crate::server::testing::db_test;
use crate::state::AppState;
use crate::team::testing::{account_owned_by, owner_caller};
use crate::workspaces::model::{LockReason, Settlement};
use crate::workspaces::settlement::{self, Target};
use crate::workspaces::store as workspaces;

const NOW: i64 = 1_796_000_000_000;

fn client() -> Client {
    Client {
        addr: "10.20.0.2".into(),
        user_agent: "test".into(),
    }
}

/// A server of this process with the marketplace simulator on, listening on a free port.
async fn market(db: &Db) -> (AppState, String) {
    crate::server::testing::serve(db, NOW, &[("BC_MARKETPLACE_SIMULATOR", "1")]).await
}

/// A server, a customer (Mine Co.) and its owner, and a workspace of `site` bound to it.
async fn customer(
    db: &Db,
    site: &str,
    uuid: &str,
) -> (AppState, String, i64, crate::accounts::caller::Caller, i64) {
    let (state, origin) = market(db).await;
    let (mine, _) = account_owned_by(db, "Mine Co.", "mine@example.com").await;
    let me = owner_caller(db, mine).await;
    let ws = workspace(db, mine, site, uuid).await;
    (state, origin, mine, me, ws)
}

/// A workspace of `site` bound to `account`.
async fn workspace(db: &Db, account: i64, site: &str, uuid: &str) -> i64 {
    let mut tx = db.begin_write().await.expect("tx");
    let row = workspaces::known_workspace(&mut tx, site, uuid, uuid, NOW)
        .await
        .expect("known");
    assert!(workspaces::bind(&mut tx, row.id, account, NOW)
        .await
        .expect("bind"));
    tx.commit().await.expect("commit");
    row.id
}

async fn row(db: &Db, id: i64) -> workspaces::WorkspaceRow {
    let mut conn = db.pool().acquire().await.expect("conn");
    let account: (i64,) = sqlx::query_as("SELECT billing_account_id FROM workspaces WHERE id = $1")
        .bind(id)
        .fetch_one(&mut *conn)
        .await
        .expect("row");
    workspaces::workspace_of(&mut conn, account.0, id)
        .await
        .expect("db")
        .expect("workspace")
}

async fn count(db: &Db, sql: &str) -> i64 {
    let (n,): (i64,) = sqlx::query_as(sql)
        .fetch_one(db.pool())
        .await
        .expect("count");
    n
}

/// A Huawei KooGallery call of `body`, signed now, sent to the server at `origin`.
async fn huawei(state: &AppState, origin: &str, body: &serde_json::Value) -> (u16, String) {
    let call = huawei_call(&state.marketplace_keys, body, NOW).expect("call");
    send(origin, &call).await.expect("sent")
}

/// Links the cloud account a marketplace's link names to `account`.
async fn link(state: &AppState, account: i64, link_path: &str) -> i64 {
    let caller = owner_caller(&state.db, account).await;
    let token = link_path
        .split("token=")
        .nth(1)
        .expect("a token in the link");
    crate::cloud_accounts::subscriptions::link(state, &caller, token, &client())
        .await
        .expect("linked")
}

fn refusal(result: Result<(), AppError>) -> Msg {
    match result.expect_err("refused") {
        AppError::Field { message, .. } => message,
        AppError::Rejected(message) => message,
        other => panic!("unexpected {other:?}"),
    }
}

db_test!(
    alibaba_cloud_subscribes_repeats_once_and_falls_back_when_it_ends,
    |db| async move {
        let (state, origin, mine, me, ws) = customer(&db, "CN1", "ws_ali").await;

        // The marketplace retries createInstance until it hears an instanceId: the same one every
        // time (the orderBizId), one subscription.
        let ends = crate::cloud_accounts::aliyun::expiry_text(NOW + 5 * crate::time::MINUTE_MS);
        let create = aliyun_call(
            &state.marketplace_keys,
            &[
                ("action", "createInstance"),
                ("aliUid", "1234567890"),
                ("orderBizId", "simorder1"),
                ("orderId", "20001"),
                ("productCode", "cmjj00sim"),
                ("skuId", "yuncode-sim-1"),
                ("trial", "false"),
                ("expiredOn", &ends),
                ("someNewParameter", "kept, signed"),
            ],
        )
        .expect("call");
        let mut answers = std::collections::BTreeSet::new();
        for _ in 0..100 {
            let (status, answer) = send(&origin, &create).await.expect("sent");
            assert_eq!(status, 200, "{answer}");
            answers.insert(answer);
        }
        assert_eq!(answers.len(), 1, "one answer to every repeat");
        let answer: serde_json::Value =
            serde_json::from_str(answers.first().expect("answer")).expect("json");
        assert_eq!(answer["instanceId"], "simorder1");
        assert_eq!(count(&db, "SELECT COUNT(*) FROM cloud_accounts").await, 1);
        let instance = "simorder1".to_string();
        let front = answer["appInfo"]["frontEndUrl"]
            .as_str()
            .expect("link")
            .to_string();
        let bought = simulator::Driven {
            link: front.replacen(&origin, "", 1),
            ..Default::default()
        };
        let params =
            |action: &'static str| vec![("action", action), ("instanceId", instance.as_str())];
        let cloud_id = link(&state, mine, &bought.link).await;
        // A second account cannot take the linked subscription.
        let (theirs, _) = account_owned_by(&db, "Theirs Co.", "theirs@example.com").await;
        let them = owner_caller(&db, theirs).await;
        let token = bought.link.split("token=").nth(1).expect("token");
        assert_eq!(
            crate::cloud_accounts::subscriptions::link(&state, &them, token, &client()).await,
            Err(AppError::Rejected(Msg::CloudAccountLinkedElsewhere))
        );
        // A forged link token links nothing.
        let forged = format!("{cloud_id}.{}", "0".repeat(32));
        assert!(
            crate::cloud_accounts::subscriptions::link(&state, &them, &forged, &client())
                .await
                .is_err()
        );

        settlement::change(&state, &me, ws, Target::CloudAccount(cloud_id), &client())
            .await
            .expect("moved to the cloud");
        assert_eq!(row(&db, ws).await.settlement, Settlement::Cloud);

        // An expiry before the subscription's end (a replay after a renewal, say) is refused.
        let renewed = drive(&state, Cloud::Aliyun, "renew", &instance, "")
            .await
            .expect("renew");
        assert_eq!(renewed.status, 200, "{}", renewed.answer);
        let early = drive(&state, Cloud::Aliyun, "expire", &instance, "")
            .await
            .expect("expire");
        assert_eq!(early.status, 400, "{}", early.answer);
        assert_eq!(row(&db, ws).await.settlement, Settlement::Cloud);

        // At its end the expiry holds: the workspace falls back to the Billing Center account,
        // and the account hears of it. The same call 100 times changes it once.
        state.clock.advance(366 * crate::time::DAY_MS);
        let expire =
            aliyun_call(&state.marketplace_keys, &params("expiredInstance")).expect("call");
        for _ in 0..100 {
            let (status, answer) = send(&origin, &expire).await.expect("sent");
            assert_eq!((status, answer.as_str()), (200, r#"{"success":"true"}"#));
        }
        let after = row(&db, ws).await;
        assert_eq!(
            (after.settlement, after.cloud_account_id, after.locked_at),
            (Settlement::BillingCenter, None, None)
        );
        assert_eq!(
            count(
                &db,
                "SELECT COUNT(*) FROM workspace_events WHERE kind = 'settlement_changed'"
            )
            .await,
            2
        );
        assert_eq!(
            count(
                &db,
                "SELECT COUNT(*) FROM outbox_messages WHERE subject LIKE '%subscription ended%'"
            )
            .await,
            1
        );
        let mut conn = db.pool().acquire().await.expect("conn");
        let sub = store::cloud_account(&mut conn, cloud_id)
            .await
            .expect("db")
            .expect("row");
        assert_eq!(sub.status, CloudAccountStatus::Suspended);
        // A wrong token: 401, nothing changes.
        let release =
            aliyun_call(&state.marketplace_keys, &params("releaseInstance")).expect("call");
        let tampered = Call {
            path_and_query: release.path_and_query.replace("token=", "token=0"),
            ..release.clone()
        };
        assert_eq!(send(&origin, &tampered).await.expect("sent").0, 401);
        let sub = store::cloud_account(&mut conn, cloud_id)
            .await
            .expect("db")
            .expect("row");
        assert_eq!(sub.status, CloudAccountStatus::Suspended);
        // A value that smuggles `&k=v` into the signed text is refused, however it is signed.
        let smuggled = aliyun_call(
            &state.marketplace_keys,
            &[
                ("action", "createInstance"),
                ("aliUid", "1"),
                ("orderBizId", "B&orderId=O"),
                ("orderId", "O"),
            ],
        )
        .expect("call");
        assert_eq!(send(&origin, &smuggled).await.expect("sent").0, 400);
        assert_eq!(count(&db, "SELECT COUNT(*) FROM cloud_accounts").await, 1);
        assert_eq!(send(&origin, &release).await.expect("sent").0, 200);
        let sub = store::cloud_account(&mut conn, cloud_id)
            .await
            .expect("db")
            .expect("row");
        assert_eq!(sub.status, CloudAccountStatus::Ended);
        // Ended stays ended: a late renewal revives nothing.
        assert_eq!(
            drive(&state, Cloud::Aliyun, "renew", &instance, "")
                .await
                .expect("renew")
                .status,
            200
        );
        let sub = store::cloud_account(&mut conn, cloud_id)
            .await
            .expect("db")
            .expect("row");
        assert_eq!(sub.status, CloudAccountStatus::Ended);
    }
);

db_test!(
    huawei_cloud_is_signed_both_ways_and_locks_when_frozen,
    |db| async move {
        let (state, origin, mine, me, ws) = customer(&db, "CN4", "ws_hw").await;
        let key = state.marketplace_keys.huawei.clone().expect("key");
        let new_instance = |business: &str| {
            serde_json::json!({
                "activity": "newInstance", "orderId": "CS2211", "orderLineId": "CS2211-000001",
                "businessId": business, "buyerInfo": {"customerId": "hw_customer_1"}, "testFlag": "1",
            })
        };
        // Retried with a new businessId and nonce each time: the first instanceId every time.
        let mut instance = String::new();
        for attempt in 0..5 {
            let call = huawei_call(
                &state.marketplace_keys,
                &new_instance(&format!("biz{attempt}")),
                NOW,
            )
            .expect("call");
            let http = reqwest::Client::new();
            let response = http
                .post(format!("{origin}{}", call.path_and_query))
                .header("content-type", "application/json")
                .body(call.body.clone())
                .send()
                .await
                .expect("sent");
            let sign = response
                .headers()
                .get("body-sign")
                .and_then(|v| v.to_str().ok())
                .unwrap_or_default()
                .to_string();
            let body = response.text().await.expect("body");
            assert_eq!(
                sign,
                crate::cloud_accounts::huawei::body_sign(key.expose(), body.as_bytes()),
                "the answer is signed"
            );
            let json: serde_json::Value = serde_json::from_str(&body).expect("json");
            assert_eq!(json["resultCode"], "000000", "{body}");
            instance = json["instanceId"].as_str().expect("instance").to_string();
            assert_eq!(instance, "biz0");
            if attempt == 0 {
                let link_path = json["appInfo"]["frontEndUrl"]
                    .as_str()
                    .expect("link")
                    .replacen(&origin, "", 1);
                link(&state, mine, &link_path).await;
            }
        }
        assert_eq!(count(&db, "SELECT COUNT(*) FROM cloud_accounts").await, 1);
        let cloud_id = count(&db, "SELECT id FROM cloud_accounts").await;
        settlement::change(&state, &me, ws, Target::CloudAccount(cloud_id), &client())
            .await
            .expect("moved");

        // Stale, forged and replayed calls change nothing.
        let freeze = serde_json::json!({"activity": "updateInstanceStatus", "instanceId": instance, "status": "FREEZE"});
        let stale = huawei_call(&state.marketplace_keys, &freeze, NOW - 61_000).expect("call");
        let (status, body) = send(&origin, &stale).await.expect("sent");
        assert_eq!((status, body.contains("000001")), (401, true), "{body}");
        let forged = huawei_call(&state.marketplace_keys, &freeze, NOW).expect("call");
        let forged = Call {
            body: forged
                .body
                .iter()
                .map(|b| if *b == b'F' { b'f' } else { *b })
                .collect(),
            ..forged
        };
        assert_eq!(send(&origin, &forged).await.expect("sent").0, 401);
        assert_eq!(row(&db, ws).await.locked_at, None);

        // Frozen: the workspace locks. The same call a hundred times: once.
        let call = huawei_call(&state.marketplace_keys, &freeze, NOW).expect("call");
        for _ in 0..100 {
            let (status, body) = send(&origin, &call).await.expect("sent");
            assert_eq!(status, 200, "{body}");
        }
        let locked = row(&db, ws).await;
        assert_eq!(locked.lock_reason(), Some(LockReason::SubscriptionEnded));
        assert_eq!(
            count(
                &db,
                "SELECT COUNT(*) FROM workspace_events WHERE kind = 'locked'"
            )
            .await,
            1
        );
        // An operator's lock and unlock do not free it: frozen, it locks again.
        let op = crate::operators::service::Operator {
            user_id: crate::team::testing::owner_of(&db, mine).await,
            actor: "operator:1:ops@example.com".into(),
        };
        crate::operators::service::set_workspace_lock(&state, &op, mine, ws, true, "fraud check")
            .await
            .expect("lock");
        crate::operators::service::set_workspace_lock(&state, &op, mine, ws, false, "checked")
            .await
            .expect("unlock");
        assert_eq!(
            row(&db, ws).await.lock_reason(),
            Some(LockReason::SubscriptionEnded),
            "still frozen"
        );
        // Unfrozen: it unlocks.
        let unfreeze = serde_json::json!({"activity": "updateInstanceStatus", "instanceId": instance, "status": "UNFREEZE"});
        assert_eq!(huawei(&state, &origin, &unfreeze).await.0, 200);
        assert_eq!(row(&db, ws).await.locked_at, None);
        // Released: locked until the workspace is switched; switching is allowed although the
        // method changed this month (the old one cannot pay), and unlocks it.
        let release = serde_json::json!({"activity": "releaseInstance", "instanceId": instance});
        assert_eq!(huawei(&state, &origin, &release).await.0, 200);
        assert_eq!(
            row(&db, ws).await.lock_reason(),
            Some(LockReason::SubscriptionEnded)
        );
        settlement::change(&state, &me, ws, Target::BillingCenter, &client())
            .await
            .expect("switched back");
        let after = row(&db, ws).await;
        assert_eq!(
            (after.settlement, after.locked_at),
            (Settlement::BillingCenter, None)
        );
        // An unknown instance: 000003.
        let unknown = serde_json::json!({"activity": "releaseInstance", "instanceId": "nope"});
        let (status, body) = huawei(&state, &origin, &unknown).await;
        assert_eq!((status, body.contains("000003")), (404, true), "{body}");
    }
);

db_test!(
    aws_registers_through_resolve_customer_and_believes_only_signed_notifications,
    |db| async move {
        let (state, origin, mine, me, ws) = customer(&db, "CN2", "ws_aws").await;
        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .expect("http");

        let bought = drive(&state, Cloud::Aws, "buy", "", "111122223333")
            .await
            .expect("bought");
        let customer = bought.subject.clone();
        // The buyer's browser posts the token from AWS's site (another origin): redeemed with
        // ResolveCustomer, then sent to the link page.
        let register = |token: String| {
            http.post(format!(
                "{origin}{}",
                crate::cloud_accounts::aws::REGISTER_PATH
            ))
            .header("origin", "https://aws.amazon.com")
            .form(&[("x-amzn-marketplace-token", token)])
            .send()
        };
        let response = register(bought.aws_token.clone())
            .await
            .expect("registered");
        assert_eq!(response.status().as_u16(), 303);
        let link_path = response.headers()["location"]
            .to_str()
            .expect("location")
            .to_string();
        // A token the simulated AWS did not issue: refused by ResolveCustomer, nothing made.
        let forged = register(format!("{}x", bought.aws_token))
            .await
            .expect("sent");
        assert_eq!(forged.status().as_u16(), 401);
        assert_eq!(count(&db, "SELECT COUNT(*) FROM cloud_accounts").await, 1);
        let cloud_id = link(&state, mine, &link_path).await;
        let mut conn = db.pool().acquire().await.expect("conn");
        let sub = store::cloud_account(&mut conn, cloud_id)
            .await
            .expect("db")
            .expect("row");
        assert_eq!(
            (sub.status, sub.cloud_account_ref.as_str()),
            (CloudAccountStatus::Pending, "111122223333")
        );
        // Pending: it cannot pay yet.
        assert_eq!(
            refusal(
                settlement::change(&state, &me, ws, Target::CloudAccount(cloud_id), &client())
                    .await
            ),
            Msg::CloudAccountNotActive
        );

        // subscribe-success, delivered 100 times (SNS is at least once): active once.
        let success = simulator::sns_notification(
            &db,
            &origin,
            simulator::TOPIC_ARN,
            "subscribe-success",
            &customer,
            simulator::AWS_PRODUCT,
            NOW,
        )
        .await
        .expect("signed");
        for _ in 0..100 {
            let response = http
                .post(format!("{origin}{}", crate::cloud_accounts::aws::SNS_PATH))
                .body(success.clone())
                .send()
                .await
                .expect("sent");
            assert_eq!(response.status().as_u16(), 200);
        }
        assert_eq!(
            count(&db, "SELECT COUNT(*) FROM marketplace_certificates").await,
            1,
            "the certificate is fetched once"
        );
        let sub = store::cloud_account(&mut conn, cloud_id)
            .await
            .expect("db")
            .expect("row");
        assert_eq!(sub.status, CloudAccountStatus::Active);
        settlement::change(&state, &me, ws, Target::CloudAccount(cloud_id), &client())
            .await
            .expect("moved");

        // A message changed after signing, or signed by a certificate from elsewhere: 401.
        let ended = simulator::sns_notification(
            &db,
            &origin,
            simulator::TOPIC_ARN,
            "unsubscribe-success",
            &customer,
            simulator::AWS_PRODUCT,
            NOW,
        )
        .await
        .expect("signed");
        let mut altered: serde_json::Value = serde_json::from_str(&ended).expect("json");
        altered["Message"] = altered["Message"]
            .as_str()
            .expect("message")
            .replace(&customer, "SOMEONEELSE")
            .into();
        let mut elsewhere: serde_json::Value = serde_json::from_str(&ended).expect("json");
        elsewhere["SigningCertURL"] = "https://sns.us-east-1.evil.example/cert.pem".into();
        // Signed for real, but by a topic of another AWS account (anyone may name a topic so).
        let foreign = simulator::sns_notification(
            &db,
            &origin,
            "arn:aws:sns:us-east-1:111122223333:aws-mp-subscription-notification-x",
            "unsubscribe-success",
            &customer,
            simulator::AWS_PRODUCT,
            NOW,
        )
        .await
        .expect("signed");
        let foreign: serde_json::Value = serde_json::from_str(&foreign).expect("json");
        for bad in [altered, elsewhere, foreign] {
            let response = http
                .post(format!("{origin}{}", crate::cloud_accounts::aws::SNS_PATH))
                .body(bad.to_string())
                .send()
                .await
                .expect("sent");
            assert_eq!(response.status().as_u16(), 401);
        }
        assert_eq!(row(&db, ws).await.locked_at, None);

        // unsubscribe-success: the workspace locks (AWS does not fall back).
        let response = http
            .post(format!("{origin}{}", crate::cloud_accounts::aws::SNS_PATH))
            .body(ended)
            .send()
            .await
            .expect("sent");
        assert_eq!(response.status().as_u16(), 200);
        assert_eq!(
            row(&db, ws).await.lock_reason(),
            Some(LockReason::SubscriptionEnded)
        );
        assert_eq!(
            count(
                &db,
                "SELECT COUNT(*) FROM outbox_messages WHERE subject LIKE '%workspaces locked%'"
            )
            .await,
            1
        );
    }
);

#[test]
fn signature_version_4_is_aws_own_example() {
    // AWS's published example (IAM ListUsers, 2015-08-30).
    let request = crate::cloud_accounts::aws::SigV4 {
        method: "GET",
        host: "iam.amazonaws.com",
        path: "/",
        query: "Action=ListUsers&Version=2010-05-08",
        headers: &[(
            "content-type",
            "application/x-www-form-urlencoded; charset=utf-8",
        )],
        body: b"",
        amz_date: "20150830T123600Z",
        region: "us-east-1",
        service: "iam",
    };
    assert_eq!(
        request.signature("wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"),
        "5d672d79c15b13162d9279b0855cfba6789a8edb4c82c400e06b5924a6f2b5d7"
    );
}

#[test]
fn alibaba_tokens_sign_every_parameter_sorted() {
    use md5::Digest;
    let params = vec![
        ("b".to_string(), "2".to_string()),
        ("a".to_string(), "1".to_string()),
        ("token".into(), "x".into()),
    ];
    assert_eq!(
        crate::cloud_accounts::aliyun::token(&params, "k"),
        hex::encode(md5::Md5::digest(b"a=1&b=2&key=k"))
    );
}

/// A subscription of `cloud` as its marketplace announces it, linked to `account`.
async fn subscribed(state: &AppState, account: i64, cloud: Cloud, buyer: &str) -> i64 {
    let bought = drive(state, cloud, "buy", "", buyer).await.expect("bought");
    assert_eq!(bought.status, 200, "{}", bought.answer);
    link(state, account, &bought.link).await
}

db_test!(
    a_settlement_method_changes_once_a_month_and_one_cloud_at_a_time,
    |db| async move {
        let (state, _, mine, me, ws) = customer(&db, "CN1", "ws_rules").await;
        let first = subscribed(&state, mine, Cloud::Aliyun, "1001").await;
        let second = subscribed(&state, mine, Cloud::Aliyun, "1002").await;
        let huawei = subscribed(&state, mine, Cloud::Huawei, "hw1").await;
        let change = |target| {
            let (state, me) = (state.clone(), me.clone());
            async move { settlement::change(&state, &me, ws, target, &client()).await }
        };
        // Not the site's cloud: refused until an operator allows any cloud.
        assert_eq!(
            refusal(change(Target::CloudAccount(huawei)).await),
            Msg::CloudAccountWrongCloud { site: "CN1".into() }
        );
        assert_eq!(
            refusal(change(Target::BillingCenter).await),
            Msg::SettlementUnchanged
        );
        // Another account's cloud account is not a choice.
        let (theirs, _) = account_owned_by(&db, "Theirs Co.", "theirs@example.com").await;
        let foreign = subscribed(&state, theirs, Cloud::Aliyun, "9999").await;
        assert_eq!(
            refusal(change(Target::CloudAccount(foreign)).await),
            Msg::CloudAccountNotActive
        );

        change(Target::CloudAccount(first)).await.expect("moved");
        // A second change this month (Beijing time): refused, with the day it becomes possible.
        let next_month = crate::time::Zone::named("Asia/Shanghai")
            .expect("zone")
            .next_month_start(NOW)
            .expect("month");
        let day = crate::time::Zone::named("Asia/Shanghai")
            .expect("zone")
            .date(next_month);
        assert_eq!(
            refusal(change(Target::BillingCenter).await),
            Msg::SettlementOncePerMonth { day }
        );
        state.clock.advance(next_month - NOW);
        // Next month: but one cloud account to another needs the first cancelled.
        assert_eq!(
            refusal(change(Target::CloudAccount(second)).await),
            Msg::CancelCloudAccountFirst
        );
        let preview = settlement::preview(&state, mine, ws)
            .await
            .expect("preview");
        assert!(
            preview.refused.is_none(),
            "the Billing Center account is still a choice"
        );
        assert_eq!(
            preview.choices.len(),
            2,
            "the Billing Center account and the second Alibaba Cloud account"
        );
        change(Target::BillingCenter)
            .await
            .expect("back to the Billing Center account");
        let kinds = count(
            &db,
            "SELECT COUNT(*) FROM audit_events WHERE action = 'workspace_settlement_changed'",
        )
        .await;
        assert_eq!(kinds, 2);

        // With any cloud allowed (an operator's switch), Huawei Cloud may pay for a CN1 workspace.
        state.clock.advance(40 * crate::time::DAY_MS);
        let mut tx = db.begin_write().await.expect("tx");
        store::set_any_cloud(&mut tx, mine, true, NOW)
            .await
            .expect("any cloud");
        tx.commit().await.expect("commit");
        change(Target::CloudAccount(huawei))
            .await
            .expect("any cloud");
    }
);

db_test!(two_changes_at_once_change_once, |db| async move {
    let (state, _) = market(&db).await;
    let (mine, _) = account_owned_by(&db, "Mine Co.", "mine@example.com").await;
    let me = owner_caller(&db, mine).await;
    let ws = workspace(&db, mine, "CN1", "ws_race").await;
    let cloud = subscribed(&state, mine, Cloud::Aliyun, "1001").await;
    let mut tasks = Vec::new();
    for i in 0..200 {
        let (state, me) = (state.clone(), me.clone());
        let target = if i % 2 == 0 {
            Target::CloudAccount(cloud)
        } else {
            Target::BillingCenter
        };
        tasks.push(tokio::spawn(async move {
            settlement::change(&state, &me, ws, target, &client())
                .await
                .is_ok()
        }));
    }
    let mut changed = 0;
    for task in tasks {
        changed += usize::from(task.await.expect("task"));
    }
    assert_eq!(changed, 1);
    assert_eq!(
        count(
            &db,
            "SELECT COUNT(*) FROM workspace_events WHERE kind = 'settlement_changed'"
        )
        .await,
        1
    );
});
