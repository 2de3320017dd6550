//! The HTTP edge tried as an attacker would, through the real router (no browser): every server
//! function and machine endpoint with malformed input, foreign hosts and origins, the sandbox
//! switched off, and many page loads at once. Each runs on SQLite and on PostgreSQL.
use app::config::Config;
use app::server::db::Db;
use app::server::scratch;
use app::state::AppState;
use axum::body::Body;
use axum::http::{header, StatusCode};
use axum::Router;
use leptos::prelude::LeptosOptions;
use std::collections::BTreeSet;
use tower::ServiceExt;

const HOST: &str = "127.0.0.1:3000";

/// The edge tests run one at a time: each has its own tokio runtime in this one process, and
/// Leptos keeps process-wide state (its task spawner, reactive arenas) that a second runtime
/// rendering at the same moment can leave a page of the first waiting on. A server has one
/// runtime, so this is a property of the test process, not of the server.
static ONE_AT_A_TIME: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());
const ORIGIN: &str = "http://127.0.0.1:3000";

/// Who may call an endpoint, as its list below declares it (independently of the code that
/// checks it: the permission matrix test compares the two).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Need {
    /// Anyone, signed in or not.
    Public,
    /// Anyone signed in, whatever their role (their own password, sessions, the switcher).
    SignedIn,
    /// Operators only.
    Operator,
    /// A member whose role has this permission.
    Account(Permission),
    /// A machine that signs its request (a payment provider, a site); a session is no proof.
    Signed,
}

use app::team::model::Permission;
use Need::{Account, Operator, Public, Signed, SignedIn};

/// Every server function, by endpoint, with who may call it and a body it can read (so that the
/// permission, not the input, decides the answer). A new one must be added here (the test
/// compares this list with what the server registered), so none escapes the malformed-input
/// test or the permission matrix.
const SERVER_FUNCTIONS: &[(&str, Need, &str)] = &[
    (
        "accounts/address",
        SignedIn,
        "channel=email&step=prove_current&code=000000",
    ),
    (
        "accounts/code",
        Public,
        "address=nobody%40example.com&purpose=sign_in&next=%2F",
    ),
    ("accounts/current", Public, ""),
    ("accounts/password", SignedIn, "new_password=x"),
    ("accounts/profile", Account(Permission::Read), ""),
    (
        "accounts/profile/update",
        Account(Permission::CompanyProfile),
        "company_name=Matrix%20Co.&industry=&region=&description=&contact_name=",
    ),
    (
        "accounts/register",
        Public,
        "address=x&code=1&company_name=x&site_code=CN1",
    ),
    (
        "accounts/reset-password",
        Public,
        "address=x&code=1&password=x",
    ),
    ("accounts/security-log", SignedIn, ""),
    ("accounts/sessions", SignedIn, ""),
    ("accounts/sessions/end", SignedIn, "session_id=0"),
    ("accounts/sign-in", Public, "address=x&password=x"),
    ("accounts/sign-out", SignedIn, ""),
    ("funds/balances", Account(Permission::Read), ""),
    ("funds/cards", Account(Permission::Read), ""),
    (
        "funds/cards/buy",
        Account(Permission::Recharge),
        "amount=x&request_id=matrix",
    ),
    (
        "funds/movements",
        Account(Permission::Read),
        "from=&to=&kind=",
    ),
    ("funds/movements/recent", Account(Permission::Read), ""),
    ("funds/recharge", Account(Permission::Recharge), "amount=x"),
    ("funds/recharge/options", Account(Permission::Read), ""),
    (
        "funds/recharge/order",
        Account(Permission::Read),
        "order_no=R0",
    ),
    ("funds/recharge/orders", Account(Permission::Read), ""),
    ("funds/request-id", Public, ""),
    (
        "funds/sandbox/settle",
        Account(Permission::Recharge),
        "order_no=R0&outcome=paid",
    ),
    ("funds/vouchers", Account(Permission::Read), ""),
    (
        "funds/vouchers/activate",
        Account(Permission::Recharge),
        "code=x",
    ),
    ("metering/choices", Account(Permission::Read), ""),
    ("metering/line", Account(Permission::Read), "id=0"),
    ("metering/lines", Account(Permission::Read), ""),
    ("metering/prices", Account(Permission::Read), ""),
    ("operator/account", Operator, "id=1"),
    ("operator/accounts", Operator, ""),
    (
        "operator/card",
        Operator,
        "account_id=1&amount=x&validity_days=&request_id=m",
    ),
    ("operator/code-batches", Operator, ""),
    ("operator/prices", Operator, ""),
    (
        "operator/prices/add",
        Operator,
        "currency=CNY&effective_from=x&note=&prices=x",
    ),
    (
        "operator/codes",
        Operator,
        "currency=CNY&amount=x&quantity=1&validity_days=1&codes_expire_on=x&scope=&note=",
    ),
    (
        "operator/transfer",
        Operator,
        "account_id=1&amount=x&bank_reference=x&received_on=",
    ),
    (
        "operator/voucher",
        Operator,
        "account_id=1&kind=regular&amount=x&validity_days=1&scope=&request_id=m",
    ),
    ("outbox/list", Public, ""),
    ("preferences/language", Public, "language=en&return_to=%2F"),
    (
        "dev/site-simulator",
        Public,
        "site=CN1&workspace_id=w&name=n",
    ),
    ("sites/list", Public, ""),
    ("dev/clock", Public, ""),
    // A move that is refused however the server is configured: the clock is the process's.
    ("dev/clock/move", Public, "days=x&hours="),
    (
        "dev/marketplace-simulator",
        Public,
        "cloud=aliyun&action=renew&subject=x",
    ),
    ("cloud-accounts/list", Account(Permission::Read), ""),
    (
        "cloud-accounts/link/preview",
        Account(Permission::Workspaces),
        "token=1.00",
    ),
    (
        "cloud-accounts/link",
        Account(Permission::Workspaces),
        "token=1.00",
    ),
    ("workspaces/settlement", Account(Permission::Read), "id=0"),
    (
        "workspaces/settlement/change",
        Account(Permission::Workspaces),
        "id=0&to=billing_center&confirm=yes",
    ),
    ("operator/any-cloud", Operator, "account_id=0&on=yes"),
    (
        "operator/workspace-lock",
        Operator,
        "account_id=0&workspace=0&lock=yes&reason=r",
    ),
    ("team/audit", Account(Permission::Read), ""),
    ("team/invitation", Public, "token=x"),
    ("team/invitation/accept", SignedIn, "token=x"),
    ("team/invitation/register", Public, "token=x&code=1"),
    (
        "team/invitations/revoke",
        Account(Permission::Members),
        "invitation=0",
    ),
    (
        "team/invite",
        Account(Permission::Members),
        "address=x&role=viewer",
    ),
    ("team/leave", Account(Permission::Read), ""),
    ("team/members", Account(Permission::Read), ""),
    ("team/remove", Account(Permission::Members), "member=0"),
    (
        "team/role",
        Account(Permission::Members),
        "member=0&role=viewer",
    ),
    ("team/switch", SignedIn, "account=0"),
    (
        "team/transfer",
        Account(Permission::Members),
        "to=0&then=viewer&code=000000",
    ),
    ("team/transfer/code", Account(Permission::Members), ""),
    (
        "workspaces/bind",
        Account(Permission::Workspaces),
        "workspace_id=w&code=CN1-AAAA",
    ),
    (
        "workspaces/bind/preview",
        Account(Permission::Workspaces),
        "token=CN1.1.x.y",
    ),
    ("workspaces/arrears-lock", Account(Permission::Read), ""),
    ("workspaces/detail", Account(Permission::Read), "id=0"),
    ("workspaces/list", Account(Permission::Read), ""),
    (
        "workspaces/unbind",
        Account(Permission::Workspaces),
        "id=0&confirm=yes",
    ),
];

/// The plain routes besides pages and server functions, with who may call them.
const MACHINE_ENDPOINTS: &[(&str, Need)] = &[
    ("/healthz", Public),
    ("/api/openapi.json", Public),
    ("/api/v1/site/entitlement", Signed),
    ("/api/v1/site/workspaces", Signed),
    ("/api/v1/usage", Signed),
    ("/dev/marketplace/aws/metering", Signed),
    ("/dev/marketplace/aws/sns-certificate.pem", Public),
    ("/dev/marketplace/aliyun/market", Signed),
    ("/dev/marketplace/huawei/usage-data", Signed),
    ("/marketplace/aliyun/spi", Signed),
    ("/marketplace/aws/register", Signed),
    ("/marketplace/aws/sns", Signed),
    ("/marketplace/huawei/v2", Signed),
    ("/export/audit-log.csv", Account(Permission::Read)),
    ("/export/consumption.csv", Account(Permission::Read)),
    ("/export/income-expenditure.csv", Account(Permission::Read)),
    ("/export/prepaid-cards.csv", Account(Permission::Read)),
    ("/export/recharge-orders.csv", Account(Permission::Read)),
    ("/export/vouchers.csv", Account(Permission::Read)),
    ("/export/workspaces.csv", Account(Permission::Read)),
    ("/operator/accounts.csv", Operator),
    ("/operator/voucher-codes.csv", Operator),
    ("/payments/callback/{provider}", Signed),
];

/// Panics anywhere in this process (request tasks and tasks they leave behind alike), counted
/// by a hook installed once; the panic is still reported as usual.
fn panics_so_far() -> usize {
    use std::sync::atomic::{AtomicUsize, Ordering};
    static PANICS: AtomicUsize = AtomicUsize::new(0);
    static HOOK: std::sync::Once = std::sync::Once::new();
    HOOK.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            PANICS.fetch_add(1, Ordering::SeqCst);
            previous(info);
        }));
    });
    PANICS.load(Ordering::SeqCst)
}

fn config(extra: &[(&str, &str)]) -> Config {
    let vars: std::collections::HashMap<String, String> = extra
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    Config::from_lookup(|name| vars.get(name).cloned()).expect("config")
}

fn developer_config() -> Config {
    config(&[
        ("BC_PAYMENT_SANDBOX", "1"),
        ("BC_DEV_OUTBOX", "1"),
        ("BC_OPERATOR_EMAIL", app::demo::DEMO_EMAIL),
        ("BC_MARKETPLACE_SIMULATOR", "1"),
    ])
}

async fn state_with(db: Db, config: Config) -> AppState {
    let options = LeptosOptions::builder()
        .output_name("billing-center")
        .build();
    AppState::new(options, db, config).await.expect("state")
}

/// Runs `test` on a fresh SQLite database and on a fresh PostgreSQL one.
async fn on_both<F, Fut>(test: F)
where
    F: Fn(Db) -> Fut,
    Fut: std::future::Future<Output = ()>,
{
    let (db, dir) = scratch::sqlite().await.expect("sqlite");
    test(db.clone()).await;
    db.close().await;
    let _ = std::fs::remove_dir_all(dir);
    let (db, name) = scratch::postgres()
        .await
        .expect("postgres (TEST_POSTGRES_URL)");
    test(db.clone()).await;
    db.close().await;
    scratch::drop_postgres(&name).await.expect("drop");
}

/// A session of the demo account (an operator in `developer_config`).
async fn demo_session(state: &AppState) -> String {
    app::demo::seed(&state.db).await.expect("demo");
    let address = app::verification::Address::email(app::demo::DEMO_EMAIL).expect("valid");
    let signed_in = app::accounts::service::sign_in_with_password(
        state,
        &address,
        app::demo::DEMO_PASSWORD.to_string(),
        &Default::default(),
    )
    .await
    .expect("signed in");
    format!("bc_session={}", signed_in.token)
}

fn request(method: &str, uri: &str, body: Body) -> http::request::Builder {
    let _ = body;
    http::Request::builder()
        .method(method)
        .uri(uri)
        .header(header::HOST, HOST)
        .header(header::ORIGIN, ORIGIN)
        .header(header::ACCEPT, "application/json")
}

async fn send(router: &Router, request: http::Request<Body>) -> (StatusCode, String) {
    let response = tokio::time::timeout(
        std::time::Duration::from_secs(30),
        router.clone().oneshot(request),
    )
    .await
    .expect("an answer within 30 s")
    .expect("infallible");
    let status = response.status();
    let body = axum::body::to_bytes(response.into_body(), 4 << 20)
        .await
        .map(|b| String::from_utf8_lossy(&b).into_owned())
        .unwrap_or_default();
    (status, body)
}

fn form(uri: &str, cookie: Option<&str>, body: String) -> http::Request<Body> {
    typed(uri, cookie, body, "application/x-www-form-urlencoded")
}

/// A POST with the given `Content-Type` (which a client may choose to lie about).
fn typed(uri: &str, cookie: Option<&str>, body: String, content_type: &str) -> http::Request<Body> {
    let mut builder =
        request("POST", uri, Body::empty()).header(header::CONTENT_TYPE, content_type);
    if let Some(cookie) = cookie {
        builder = builder.header(header::COOKIE, cookie);
    }
    builder.body(Body::from(body)).expect("request")
}

/// Bodies no server function should take: missing, extra, wrongly typed, empty, enormous,
/// odd unicode, and amounts negative, zero, huge and over-precise, in every field name that
/// the app's forms use.
fn malformed_bodies() -> Vec<String> {
    let fields = [
        "address",
        "purpose",
        "next",
        "code",
        "company_name",
        "site_code",
        "password",
        "current_password",
        "new_password",
        "industry",
        "region",
        "description",
        "contact_name",
        "session_id",
        "channel",
        "step",
        "amount",
        "order_no",
        "outcome",
        "from",
        "to",
        "kind",
        "before",
        "request_id",
        "query",
        "id",
        "account",
        "bank_reference",
        "received_on",
        "validity_days",
        "scope",
        "voucher_kind",
        "quantity",
        "codes_expire_on",
        "note",
        "batch",
        "language",
        "redirect",
        "q",
        "return_to",
        "account_id",
        "currency",
        "role",
        "member",
        "invitation",
        "then",
        "token",
        "person",
        "action",
    ];
    let long = "x".repeat(100_000);
    let values = [
        String::new(),
        long.clone(),
        "￿𝕏\u{202e}漢字".to_string(),
        "-1".to_string(),
        "0".to_string(),
        "92233720368547758.07".to_string(),
        "99999999999999999999999999999".to_string(),
        "1.0000000001".to_string(),
        "1e308".to_string(),
        "NaN".to_string(),
        "[]".to_string(),
        "%00".to_string(),
    ];
    let mut bodies = vec![
        String::new(),
        "garbage=&&&===".to_string(),
        "%ZZ=%".to_string(),
    ];
    for value in &values {
        let encoded = if value == "%00" {
            value.clone()
        } else {
            app::ui::query_value(value)
        };
        bodies.push(
            fields
                .iter()
                .map(|f| format!("{f}={encoded}"))
                .collect::<Vec<_>>()
                .join("&"),
        );
        // Each field alone, too: the others missing.
        for field in fields.iter().step_by(7) {
            bodies.push(format!("{field}={encoded}&unexpected=1"));
        }
    }
    bodies
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn every_endpoint_is_in_the_robustness_list() {
    let _one = ONE_AT_A_TIME.lock().await;
    let (db, dir) = scratch::sqlite().await.expect("sqlite");
    let _router = app::edge::router(state_with(db.clone(), developer_config()).await);
    let registered: BTreeSet<String> = leptos::server_fn::axum::server_fn_paths()
        .map(|(path, _)| path.trim_start_matches("/api/").to_string())
        .collect();
    let listed: BTreeSet<String> = SERVER_FUNCTIONS
        .iter()
        .map(|(s, _, _)| s.to_string())
        .collect();
    assert_eq!(
        registered, listed,
        "server functions registered vs. listed here"
    );
    // The plain routes, as the router builds them.
    let routed: BTreeSet<&str> = app::edge::plain_routes()
        .into_iter()
        .map(|(path, _)| path)
        .collect();
    let machine: BTreeSet<&str> = MACHINE_ENDPOINTS.iter().map(|(path, _)| *path).collect();
    assert_eq!(
        routed, machine,
        "plain routes of the router vs. listed here"
    );
    db.close().await;
    let _ = std::fs::remove_dir_all(dir);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn malformed_input_gets_4xx_never_5xx() {
    let _one = ONE_AT_A_TIME.lock().await;
    on_both(|db| async move {
        let state = state_with(db.clone(), developer_config()).await;
        let cookie = demo_session(&state).await;
        let router = app::edge::router(state.clone());
        let bodies = malformed_bodies();
        for (endpoint, _, _) in SERVER_FUNCTIONS {
            // Signing out (or leaving the account) would end what the rest of the test uses.
            if ["accounts/sign-out", "team/leave"].contains(endpoint) {
                continue;
            }
            let uri = format!("/api/{endpoint}");
            for signed_in in [false, true] {
                for (body, content_type) in bodies.iter().flat_map(|body| {
                    [
                        "application/x-www-form-urlencoded",
                        "application/json",
                        "text/plain",
                    ]
                    .map(|content_type| (body, content_type))
                }) {
                    let cookie = signed_in.then_some(cookie.as_str());
                    let request = typed(&uri, cookie, body.clone(), content_type);
                    let (status, answer) = send(&router, request).await;
                    assert!(
                        !status.is_server_error(),
                        "{endpoint} answered {status} to {content_type} {:.120}: {answer:.300}",
                        body
                    );
                    if status.is_client_error() {
                        assert!(!answer.is_empty(), "{endpoint}: a 4xx says why");
                    }
                }
            }
        }
        // One bad field in an otherwise good form reaches the handler's own checks.
        let good_registration =
            "address=new%40acme.example&code=123456&company_name=Acme&site_code=CN1&password=";
        for (field, bad) in [
            ("site_code", "%00"),
            ("site_code", "x".repeat(100_000).as_str()),
            ("company_name", "%1B%5B2J"),
            ("company_name", ""),
            ("code", "-1"),
        ] {
            let body = format!("{good_registration}&{field}={bad}");
            for content_type in ["application/x-www-form-urlencoded", "application/json"] {
                let (status, answer) = send(
                    &router,
                    typed("/api/accounts/register", None, body.clone(), content_type),
                )
                .await;
                assert!(
                    status.is_client_error(),
                    "{field}={bad:.20} as {content_type}: {status} {answer:.200}"
                );
            }
        }
        for amount in [
            "-9223372036854775808",
            "9223372036854775807",
            "1e2",
            "0x10",
            "1,0,0",
        ] {
            for uri in ["/api/funds/recharge", "/api/funds/cards/buy"] {
                let body = format!(
                    "amount={}&request_id=r-{amount}",
                    app::ui::query_value(amount)
                );
                let (status, answer) = send(&router, form(uri, Some(&cookie), body)).await;
                assert_eq!(
                    status,
                    StatusCode::UNPROCESSABLE_ENTITY,
                    "{uri} {amount}: {answer:.200}"
                );
            }
        }
        // Machine endpoints.
        for (method, uri, body) in [
            ("GET", "/export/income-expenditure.csv?from=%00", ""),
            (
                "GET",
                "/export/income-expenditure.csv?from=2026-13-45&kind=nope",
                "",
            ),
            ("GET", "/export/vouchers.csv?status=gone", ""),
            ("GET", "/export/prepaid-cards.csv?status=%00", ""),
            ("GET", "/export/recharge-orders.csv?status=refunded", ""),
            ("GET", "/operator/accounts.csv?q=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", ""),
            ("GET", "/operator/accounts.csv?q=%00", ""),
            ("GET", "/operator/voucher-codes.csv?batch=-1", ""),
            (
                "GET",
                "/operator/voucher-codes.csv?batch=99999999999999999999",
                "",
            ),
            ("POST", "/payments/callback/sandbox", "{}"),
            ("POST", "/payments/callback/sandbox", "not json"),
            ("POST", "/payments/callback/%00", "{}"),
            (
                "POST",
                "/payments/callback/real",
                r#"{"order_no":"R\u0000"}"#,
            ),
        ] {
            let mut builder = request(method, uri, Body::empty()).header(header::COOKIE, &cookie);
            if method == "POST" {
                builder = builder.header(header::CONTENT_TYPE, "application/json");
            }
            let (status, answer) =
                send(&router, builder.body(Body::from(body)).expect("request")).await;
            assert!(status.is_client_error(), "{uri}: {status} {answer:.200}");
        }
        let mut conn = db.pool().acquire().await.expect("conn");
        let found = app::ledger::posting::reconcile(&mut conn)
            .await
            .expect("reconcile");
        assert!(found.is_empty(), "{found:?}");
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn statuses_mean_something() {
    let _one = ONE_AT_A_TIME.lock().await;
    on_both(|db| async move {
        let state = state_with(db.clone(), developer_config()).await;
        let cookie = demo_session(&state).await;
        let router = app::edge::router(state);
        let cases: &[(&str, Option<&str>, &str, u16)] = &[
            ("/api/funds/balances", None, "", 401),
            ("/api/funds/balances", Some(&cookie), "", 200),
            ("/api/funds/recharge", Some(&cookie), "amount=abc", 422),
            (
                "/api/funds/recharge/order",
                Some(&cookie),
                "order_no=R-NONE",
                404,
            ),
            (
                "/api/accounts/sign-in",
                None,
                "address=demo%40example.com&password=wrong+one",
                422,
            ),
            ("/api/accounts/sign-in", None, "nothing=here", 400),
        ];
        for (uri, cookie, body, expected) in cases {
            let (status, answer) = send(&router, form(uri, *cookie, body.to_string())).await;
            assert_eq!(status.as_u16(), *expected, "{uri} {body}: {answer:.200}");
        }
        // Throttled answers say when to come back.
        let throttled =
            (0..12).map(|_| "address=demo%40example.com&password=wrong+one".to_string());
        let mut last = None;
        for body in throttled {
            let response = router
                .clone()
                .oneshot(form("/api/accounts/sign-in", None, body))
                .await
                .expect("answer");
            last = Some((
                response.status(),
                response.headers().get(header::RETRY_AFTER).cloned(),
            ));
        }
        let (status, retry) = last.expect("answers");
        assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
        assert!(retry.is_some(), "Retry-After on 429");
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn foreign_hosts_and_origins_are_refused() {
    let _one = ONE_AT_A_TIME.lock().await;
    let (db, dir) = scratch::sqlite().await.expect("sqlite");
    let router = app::edge::router(state_with(db.clone(), developer_config()).await);
    let rebind = http::Request::builder()
        .uri("/outbox")
        .header(header::HOST, "attacker.example:3000")
        .body(Body::empty())
        .expect("request");
    assert_eq!(
        send(&router, rebind).await.0,
        StatusCode::MISDIRECTED_REQUEST
    );
    let post = http::Request::builder()
        .method("POST")
        .uri("/api/accounts/code")
        .header(header::HOST, HOST)
        .header(header::ORIGIN, "http://attacker.example")
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(Body::from("address=a%40b.example&purpose=sign_in&next=%2F"))
        .expect("request");
    assert_eq!(send(&router, post).await.0, StatusCode::FORBIDDEN);
    let health = http::Request::builder()
        .uri("/healthz")
        .header(header::HOST, "10.0.0.5:3000")
        .body(Body::empty())
        .expect("request");
    assert_eq!(send(&router, health).await.0, StatusCode::OK);
    db.close().await;
    let _ = std::fs::remove_dir_all(dir);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn without_the_setting_there_is_no_sandbox_and_no_outbox() {
    let _one = ONE_AT_A_TIME.lock().await;
    on_both(|db| async move {
        // Real delivery is not configured either: still no outbox, and no sandbox.
        let state = state_with(db.clone(), config(&[])).await;
        let cookie = demo_session(&state).await;
        let router = app::edge::router(state.clone());
        let (status, _) = send(&router, form("/api/funds/recharge", Some(&cookie), "amount=100".into())).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "online recharge is unavailable");
        let (status, _) = send(
            &router,
            form("/api/funds/sandbox/settle", Some(&cookie), "order_no=R1&outcome=paid".into()),
        )
        .await;
        assert_eq!(status, StatusCode::NOT_FOUND);
        let (status, _) = send(&router, form("/api/outbox/list", None, String::new())).await;
        assert_eq!(status, StatusCode::NOT_FOUND);
        // A callback signed with whatever the sandbox used to sign with is not believed.
        let body = br#"{"order_no":"R1","provider_txn_id":"T1","amount":"100.00","currency":"CNY","status":"paid"}"#;
        let now = app::server::db::now_millis() / 1000;
        for secret in ["", "payment_sandbox_secret"] {
            let signature = app::funds::payment::sign(secret, now, body);
            let callback = request("POST", "/payments/callback/sandbox", Body::empty())
                .header(app::funds::payment::TIMESTAMP_HEADER, now.to_string())
                .header(app::funds::payment::SIGNATURE_HEADER, signature)
                .header(header::CONTENT_TYPE, "application/json")
                .body(Body::from(&body[..]))
                .expect("request");
            assert_eq!(send(&router, callback).await.0, StatusCode::NOT_FOUND);
        }
        let discount_vouchers = |db: Db| async move {
            sqlx::query("SELECT COUNT(*) AS n FROM vouchers WHERE kind = 'discount'")
                .fetch_one(db.pool())
                .await
                .and_then(|row| sqlx::Row::try_get::<i64, _>(&row, "n"))
                .expect("count")
        };
        let vouchers_before = discount_vouchers(db.clone()).await;
        let mut conn = db.pool().acquire().await.expect("conn");
        let account = app::demo::seed_account(&db).await.expect("demo");
        let before = app::funds::cash::cash_and_arrears(&mut conn, account, app::money::Currency::CNY)
            .await
            .expect("balances");
        drop(conn);
        // Buying a card for an amount that would overflow is refused and changes nothing.
        for huge in ["92233720368547758", "92,233,720,368,547,758", "184467440737095516"] {
            let (status, answer) = send(
                &router,
                form(
                    "/api/funds/cards/buy",
                    Some(&cookie),
                    format!("amount={huge}&request_id=overflow-{huge}"),
                ),
            )
            .await;
            assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{huge}: {answer}");
        }
        let mut conn = db.pool().acquire().await.expect("conn");
        let after = app::funds::cash::cash_and_arrears(&mut conn, account, app::money::Currency::CNY)
            .await
            .expect("balances");
        assert_eq!(before, after);
        drop(conn);
        assert_eq!(
            discount_vouchers(db.clone()).await,
            vouchers_before,
            "no discount voucher from an overflowing purchase"
        );
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn public_pages_load_in_parallel_without_failing() {
    let _one = ONE_AT_A_TIME.lock().await;
    let (db, dir) = scratch::sqlite().await.expect("sqlite");
    let router = app::edge::router(state_with(db.clone(), developer_config()).await);
    let panics_before = panics_so_far();
    let pages = [
        "/",
        "/sign-in",
        "/register",
        "/sign-in/code",
        "/reset-password",
    ];
    let mut clients = Vec::new();
    for client in 0..16 {
        let router = router.clone();
        clients.push(tokio::spawn(async move {
            let mut failures = Vec::new();
            for round in 0..50 {
                for page in pages {
                    let language = if (client + round) % 2 == 0 {
                        "en-US"
                    } else {
                        "zh-CN"
                    };
                    let request = http::Request::builder()
                        .uri(page)
                        .header(header::HOST, HOST)
                        .header(header::ACCEPT_LANGUAGE, language)
                        .body(Body::empty())
                        .expect("request");
                    let (status, body) = send(&router, request).await;
                    if status != StatusCode::OK || !body.contains("<title>") {
                        failures.push(format!("{page}: {status}"));
                    }
                }
            }
            failures
        }));
    }
    let mut failures = Vec::new();
    for client in clients {
        failures.extend(client.await.expect("client did not panic"));
    }
    assert!(
        failures.is_empty(),
        "{} failed loads: {:?}",
        failures.len(),
        &failures[..failures.len().min(10)]
    );
    // Tasks a page leaves behind get a moment to run (or to panic) before the count.
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    assert_eq!(panics_so_far(), panics_before, "panics while pages loaded");
    db.close().await;
    let _ = std::fs::remove_dir_all(dir);
}

/// A new person in billing account `account` with `role`, signed in: their session cookie.
/// Made directly in the database (no password to hash), one per call, so what one call does
/// (leaving, signing out) touches no other.
async fn member_cookie(state: &AppState, account: Option<i64>, role: Role, n: usize) -> String {
    let now = app::server::db::now_millis();
    let mut tx = state.db.begin_write().await.expect("tx");
    let address =
        app::verification::Address::email(&format!("matrix-{n}@example.com")).expect("valid");
    let user = app::accounts::store::insert_user(&mut tx, &address, None, now)
        .await
        .expect("user");
    if let Some(account) = account {
        app::team::store::insert_membership(&mut tx, account, user, role, now)
            .await
            .expect("member");
    }
    let token = app::server::secrets::random_hex(32);
    app::accounts::store::insert_session(
        &mut tx,
        &app::accounts::service::token_hash(&token),
        user,
        account,
        "matrix",
        "127.0.0.1",
        now,
    )
    .await
    .expect("session");
    tx.commit().await.expect("commit");
    format!("bc_session={token}")
}

fn allowed(need: Need, role: Role) -> bool {
    match need {
        Public | SignedIn => true,
        Operator | Signed => false,
        Account(permission) => role.may(permission),
    }
}

use app::team::model::Role;

/// Every server function and plain route, called as each of the four roles, is refused (403,
/// with the reason) exactly where the permission table says the role may not, and answered
/// otherwise; a signed-in user who belongs to no billing account is refused every account one.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn every_endpoint_answers_each_role_as_the_permission_table_says() {
    let _one = ONE_AT_A_TIME.lock().await;
    on_both(|db| async move {
        let state = state_with(db.clone(), developer_config()).await;
        let account = app::demo::seed_account(&state.db).await.expect("demo");
        let router = app::edge::router(state.clone());
        let mut n = 0;
        let mut refused = 0;
        for (endpoint, need, body) in SERVER_FUNCTIONS {
            for role in Role::ALL {
                n += 1;
                let cookie = member_cookie(&state, Some(account), role, n).await;
                let uri = format!("/api/{endpoint}");
                let (status, answer) =
                    send(&router, form(&uri, Some(&cookie), body.to_string())).await;
                assert!(
                    !status.is_server_error(),
                    "{endpoint} as {role:?}: {status} {answer:.300}"
                );
                if allowed(*need, role) {
                    assert_ne!(
                        status,
                        StatusCode::FORBIDDEN,
                        "{endpoint} as {role:?}: {answer:.300}"
                    );
                } else {
                    refused += 1;
                    assert_eq!(
                        status,
                        StatusCode::FORBIDDEN,
                        "{endpoint} as {role:?}: {answer:.300}"
                    );
                    let reason = if *need == Operator {
                        "operators_only"
                    } else {
                        "role_may_not"
                    };
                    assert!(
                        answer.contains(reason),
                        "{endpoint} as {role:?}: {answer:.300}"
                    );
                }
            }
            if let Account(_) = need {
                n += 1;
                let cookie = member_cookie(&state, None, Role::Viewer, n).await;
                let uri = format!("/api/{endpoint}");
                let (status, answer) =
                    send(&router, form(&uri, Some(&cookie), body.to_string())).await;
                assert_eq!(
                    status,
                    StatusCode::FORBIDDEN,
                    "{endpoint} without an account: {answer:.300}"
                );
                assert!(
                    answer.contains("no_billing_account"),
                    "{endpoint}: {answer:.300}"
                );
            }
        }
        assert!(
            refused > 40,
            "the matrix refuses something for every role but the Owner"
        );
        for (path, need) in MACHINE_ENDPOINTS {
            if *need == Signed {
                // Signed by a provider or a site: an Owner's session without a signature is
                // refused like anyone else.
                let path = path.replace("{provider}", "sandbox");
                n += 1;
                let cookie = member_cookie(&state, Some(account), Role::Owner, n).await;
                // Alibaba Cloud's marketplace calls with GET; every other signed party POSTs.
                let method = if path == "/marketplace/aliyun/spi" {
                    "GET"
                } else {
                    "POST"
                };
                let request = request(method, &path, Body::empty())
                    .header(header::COOKIE, cookie)
                    .header(header::CONTENT_TYPE, "application/json")
                    .body(Body::from("{}"))
                    .expect("request");
                let (status, answer) = send(&router, request).await;
                assert_eq!(status, StatusCode::UNAUTHORIZED, "{path}: {answer:.300}");
                continue;
            }
            for role in Role::ALL {
                n += 1;
                let cookie = member_cookie(&state, Some(account), role, n).await;
                let request = request("GET", path, Body::empty())
                    .header(header::COOKIE, cookie)
                    .body(Body::empty())
                    .expect("request");
                let (status, answer) = send(&router, request).await;
                let expected = if allowed(*need, role) {
                    StatusCode::OK
                } else {
                    StatusCode::FORBIDDEN
                };
                assert_eq!(status, expected, "{path} as {role:?}: {answer:.300}");
            }
        }
    })
    .await;
}

/// A user in two billing accounts, acting in one, cannot reach the other's orders by their
/// number, nor a stranger's.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn another_accounts_order_is_not_found() {
    let _one = ONE_AT_A_TIME.lock().await;
    on_both(|db| async move {
        let state = state_with(db.clone(), developer_config()).await;
        let demo = app::demo::seed_account(&state.db).await.expect("demo");
        let own = {
            let mut tx = db.begin_write().await.expect("tx");
            let account = app::accounts::store::NewAccount {
                company_name: "Own Co.",
                site_code: "CN1",
                currency: "CNY",
            };
            let stranger = app::verification::Address::email("own@example.com").expect("valid");
            let (own, _) = app::accounts::service::insert_account_with_owner(
                &mut tx, &account, &stranger, None, 0,
            )
            .await
            .expect("account");
            tx.commit().await.expect("commit");
            own
        };
        let actor = app::team::audit::AuditActor::system(demo, "test");
        let order = app::funds::recharge::create_order(&state, &actor, "100")
            .await
            .expect("an order of the demo account");
        let router = app::edge::router(state.clone());
        // A Finance member of the demo account, acting in their own other account.
        let cookie = member_cookie(&state, Some(own), Role::Owner, 1).await;
        let token = cookie.trim_start_matches("bc_session=");
        let session: app::accounts::session::CallerSession =
            app::accounts::service::session(&state, token)
                .await
                .expect("db")
                .expect("live")
                .into();
        let mut tx = db.begin_write().await.expect("tx");
        app::team::store::insert_membership(&mut tx, demo, session.user_id, Role::Finance, 0)
            .await
            .expect("member");
        tx.commit().await.expect("commit");
        let uri = "/api/funds/recharge/order";
        let (status, _) = send(
            &router,
            form(uri, Some(&cookie), format!("order_no={order}")),
        )
        .await;
        assert_eq!(status, StatusCode::NOT_FOUND, "acting in the other account");
        let (status, _) = send(
            &router,
            form("/api/team/switch", Some(&cookie), format!("account={demo}")),
        )
        .await;
        assert!(status.is_success() || status.is_redirection(), "{status}");
        let (status, _) = send(
            &router,
            form(uri, Some(&cookie), format!("order_no={order}")),
        )
        .await;
        assert_eq!(status, StatusCode::OK, "acting in the order's account");
    })
    .await;
}
