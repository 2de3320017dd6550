//! The Billing Center server: configuration, the database, the router (`app::edge`) and the
//! scheduled work, wired together; the command-line tools `reconcile` and `operator`.
use app::config::Config;
use app::demo;
use app::server::db::Db;
use app::state::AppState;
use leptos::prelude::*;
use tracing_subscriber::EnvFilter;

#[tokio::main]
async fn main() {
    tracing_subscriber::fmt()
        .with_env_filter(
            EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info,sqlx=warn")),
        )
        .init();

    let mut config = Config::from_env().unwrap_or_else(|error| fail(&error.to_string()));
    config.demo |= std::env::args().any(|arg| arg == "--demo");

    let mut leptos_options = get_configuration(None)
        .unwrap_or_else(|error| fail(&format!("leptos configuration: {error}")))
        .leptos_options;
    // cargo-leptos writes the hashed asset names next to the binary of a build with hash-files on.
    leptos_options.hash_files = std::env::current_exe()
        .ok()
        .and_then(|exe| exe.parent().map(|dir| dir.join(&*leptos_options.hash_file)))
        .is_some_and(|path| path.exists());

    if let Some(dir) = config.sqlite_dir() {
        if let Err(error) = std::fs::create_dir_all(&dir) {
            fail(&format!(
                "DATABASE_URL: cannot create {}: {error}",
                dir.display()
            ));
        }
    }
    let db = Db::connect(&config.database_url)
        .await
        .unwrap_or_else(|error| fail(&format!("DATABASE_URL: cannot open the database: {error}")));
    // Before anything reads the time, the command-line tools too. A database whose clock was
    // moved is never used without it: its time would go back.
    let lead = app::dev_clock::store::lead(&db)
        .await
        .unwrap_or_else(|error| {
            fail(&format!(
                "DATABASE_URL: cannot read the development clock: {error}"
            ))
        });
    if config.dev_clock {
        if let Err(error) = app::dev_clock::store::follow(&db).await {
            fail(&format!(
                "BC_DEV_CLOCK: cannot read the development clock: {error}"
            ));
        }
    } else if lead > 0 {
        fail("BC_DEV_CLOCK: this database's time was moved forward by the development clock; start it with BC_DEV_CLOCK=1 (or use another database)");
    }
    match std::env::args().nth(1).as_deref() {
        Some("reconcile") => reconcile(&db).await,
        Some("operator") => operator_command(&db).await,
        Some("site") => site_command(&db, &config).await,
        Some("marketplace") => marketplace_command(leptos_options.clone(), &db, &config).await,
        Some("usage") => usage_command(leptos_options.clone(), &db, &config).await,
        _ => {}
    }
    if config.demo {
        match demo::seed(&db).await {
            Ok(account) => tracing::info!(account, "demo data in place"),
            Err(error) => fail(&format!("demo data: {error}")),
        }
    }

    if config.payment_sandbox {
        tracing::warn!("BC_PAYMENT_SANDBOX is on: recharge orders are paid at the sandbox checkout and no money moves");
    }
    if config.marketplaces.simulator {
        tracing::warn!("BC_MARKETPLACE_SIMULATOR is on: /dev/marketplace-simulator and its keys sign marketplace calls for anyone");
    }
    if config.site_simulator {
        tracing::warn!("BC_SITE_SIMULATOR is on: /dev/site-simulator mints bind proofs for any workspace of any site");
    }
    if config.dev_clock {
        tracing::warn!(
            lead_ms = app::server::clock::lead(),
            "BC_DEV_CLOCK is on: /dev/clock moves this server's time forward"
        );
    }
    if config.dev_outbox {
        tracing::warn!("BC_DEV_OUTBOX is on: messages without real delivery are kept for the development outbox page");
    }
    let listen_addr = config.listen_addr;
    let state = AppState::new(leptos_options, db.clone(), config)
        .await
        .unwrap_or_else(|error| fail(&format!("start-up: {error}")));
    if state.config.demo {
        match demo::seed_usage(&state).await {
            Ok(records) => tracing::info!(records, "demo usage taken in and rated"),
            Err(error) => fail(&format!("demo usage: {error}")),
        }
    }
    // Expiry, reminders, housekeeping and the message queue, on their timers (app::schedule).
    app::server::jobs::start(&state, app::schedule::jobs());
    let router = app::edge::router(state);

    let listener = tokio::net::TcpListener::bind(listen_addr)
        .await
        .unwrap_or_else(|error| {
            fail(&format!(
                "BC_LISTEN_ADDR: cannot listen on {listen_addr}: {error}"
            ))
        });
    tracing::info!("listening on http://{listen_addr}");
    let service = router.into_make_service_with_connect_info::<std::net::SocketAddr>();
    if let Err(error) = axum::serve(listener, service)
        .with_graceful_shutdown(shutdown_signal())
        .await
    {
        tracing::error!(%error, "server stopped with an error");
    }
    db.close().await;
    tracing::info!("stopped");
}

/// `server reconcile`: proves the books and exits 0 when they are right, 1 when not.
async fn reconcile(db: &Db) -> ! {
    let found = match db.pool().acquire().await {
        Ok(mut conn) => match app::ledger::posting::reconcile(&mut conn).await {
            Ok(found) => app::metering::store::lines_off_their_postings(&mut conn)
                .await
                .map(|lines| (found, lines)),
            Err(error) => Err(error),
        },
        Err(error) => Err(error),
    };
    match found {
        Ok((found, lines)) if found.is_empty() && lines.is_empty() => {
            println!("ledger reconciles: every journal transaction balances, every balance equals its postings, every daily line equals its posting");
            std::process::exit(0)
        }
        Ok((found, lines)) => {
            println!("ledger does NOT reconcile: unbalanced journal transactions {:?}, drifted balances {:?}, daily lines off their postings {:?}",
                found.unbalanced_transactions, found.drifted_balances, lines);
            std::process::exit(1)
        }
        Err(error) => fail(&format!("reconcile: {error}")),
    }
}

/// `server operator grant|revoke <email>`: gives or takes the operator role.
async fn operator_command(db: &Db) -> ! {
    use app::operators::service::{grant, revoke};
    let args: Vec<String> = std::env::args().skip(2).collect();
    let outcome = match args.iter().map(String::as_str).collect::<Vec<_>>()[..] {
        ["grant", email] => grant(db, email, "command line")
            .await
            .map(|id| format!("account {id} ({email}) is an operator")),
        ["revoke", email] => revoke(db, email).await.map(|had| {
            if had {
                format!("{email} is no longer an operator")
            } else {
                format!("{email} was not an operator")
            }
        }),
        _ => fail("usage: server operator grant|revoke <email>"),
    };
    match outcome {
        Ok(message) => {
            println!("{message}");
            std::process::exit(0)
        }
        Err(error) => fail(&format!("operator: {error}")),
    }
}

/// `server site key <SITE>`: a new signing key for the site (printed once; the one before it
/// works for another day). `server site bind-link <SITE> <WORKSPACE_ID> <NAME>`: the site
/// simulator, a bind link and bind code for a workspace, as the site would mint them.
async fn site_command(db: &Db, config: &Config) -> ! {
    use app::workspaces::{simulator, site_keys};
    let args: Vec<String> = std::env::args().skip(2).collect();
    let now = app::server::db::now_millis();
    let outcome: Result<String, String> = match args.iter().map(String::as_str).collect::<Vec<_>>()[..] {
        ["key", site] => async {
            let server_secret = site_keys::server_secret(db, config)
                .await
                .map_err(|e| e.to_string())?;
            let mut tx = db.begin_write().await.map_err(|e| e.to_string())?;
            let made = site_keys::rotate(&mut tx, &server_secret, site, now)
                .await
                .map_err(|e| e.to_string())?;
            tx.commit().await.map_err(|e| e.to_string())?;
            let (version, secret) = made.ok_or(format!(
                "there is no site {site}, or it has used up its {} key versions",
                site_keys::MAX_VERSION
            ))?;
            Ok(format!("site {site} key version {version}\nsecret {secret}\n(put both in the site's configuration; this is the only time the secret is shown)"))
        }
        .await,
        ["bind-link", site, workspace, ref name @ ..] if !name.is_empty() => async {
            let name = name.join(" ");
            let server_secret = site_keys::server_secret(db, config)
                .await
                .map_err(|e| e.to_string())?;
            let request = simulator::Request {
                server_secret: &server_secret,
                origin: &config.public_origin.url(),
                site,
                workspace_uuid: workspace,
                name: &name,
                now,
            };
            simulator::mint(db, &request)
                .await
                .map(|m| format!("link {}\ncode {}\nexpires in 30 minutes", m.link, m.code))
                .map_err(|e| e.to_string())
        }
        .await,
        ["webhook", site, url] => async {
            use app::workspaces::webhooks;
            let url = (url != "none").then_some(url);
            if url.is_some_and(|u| !webhooks::webhook_url_ok(u)) {
                return Err(format!("{url:?} is not an http(s) address"));
            }
            let mut tx = db.begin_write().await.map_err(|e| e.to_string())?;
            let known = webhooks::set_webhook(&mut tx, site, url, now)
                .await
                .map_err(|e| e.to_string())?;
            tx.commit().await.map_err(|e| e.to_string())?;
            match (known, url) {
                (false, _) => Err(format!("there is no site {site}")),
                (true, Some(url)) => Ok(format!("site {site} hears of its workspaces' changes at {url}")),
                (true, None) => Ok(format!("site {site} has no webhook")),
            }
        }
        .await,
        _ => fail("usage: server site key <SITE> | server site bind-link <SITE> <WORKSPACE_ID> <NAME> | server site webhook <SITE> <URL|none>"),
    };
    match outcome {
        Ok(message) => {
            println!("{message}");
            std::process::exit(0)
        }
        Err(error) => fail(&format!("site: {error}")),
    }
}

/// `server marketplace <aliyun|huawei|aws> <ACTION> [SUBJECT] [BUYER]`: the marketplace
/// simulator (with `BC_MARKETPLACE_SIMULATOR=1`, against the running server at
/// `BC_PUBLIC_ORIGIN`): `buy` a subscription, then act on it (`renew`, `expire`, `release`;
/// `freeze`, `unfreeze`; `subscribe-success`, `unsubscribe-pending`, `unsubscribe-success`).
async fn marketplace_command(
    options: leptos::config::LeptosOptions,
    db: &Db,
    config: &Config,
) -> ! {
    let args: Vec<String> = std::env::args().skip(2).collect();
    let usage = "usage: server marketplace <aliyun|huawei|aws> <ACTION> [SUBJECT] [BUYER]";
    let (Some(cloud), Some(action)) = (args.first(), args.get(1)) else {
        fail(usage)
    };
    let cloud: app::workspaces::model::Cloud = cloud.parse().unwrap_or_else(|_| fail(usage));
    if !config.marketplaces.simulator {
        fail("marketplace: the simulator is off (BC_MARKETPLACE_SIMULATOR=1)");
    }
    let state = app::state::AppState::new(options, db.clone(), config.clone())
        .await
        .unwrap_or_else(|e| fail(&format!("marketplace: {e}")));
    let subject = args.get(2).map(String::as_str).unwrap_or_default();
    let buyer = args.get(3).map(String::as_str).unwrap_or("123456789012");
    match app::cloud_accounts::simulator::drive(&state, cloud, action, subject, buyer).await {
        Ok(driven) => {
            let origin = config.public_origin.url();
            println!("HTTP {}\n{}", driven.status, driven.answer);
            println!("subject {}", driven.subject);
            if !driven.link.is_empty() {
                println!("link {origin}{}", driven.link);
            }
            if !driven.aws_token.is_empty() {
                println!(
                    "registration: POST {origin}{} x-amzn-marketplace-token={}",
                    app::cloud_accounts::aws::REGISTER_PATH,
                    driven.aws_token
                );
            }
            std::process::exit(0)
        }
        Err(error) => fail(&format!("marketplace: {error}")),
    }
}

/// `server usage <SITE> <WORKSPACE_ID> [DAYS]`: the usage simulator. Posts the simulator's
/// hourly usage of the workspace over the last DAYS days (default 7) to the running server's
/// usage API at `BC_PUBLIC_ORIGIN`, gzip, signed with the site's current key, as the site
/// would; prints how many records were accepted, duplicates and refused.
async fn usage_command(options: leptos::config::LeptosOptions, db: &Db, config: &Config) -> ! {
    let args: Vec<String> = std::env::args().skip(2).collect();
    let usage = "usage: server usage <SITE> <WORKSPACE_ID> [DAYS]";
    let (Some(site), Some(workspace)) = (args.first(), args.get(1)) else {
        fail(usage)
    };
    let days: i64 = match args.get(2) {
        None => 7,
        Some(days) => days
            .parse()
            .ok()
            .filter(|d| (1..=app::metering::ingestion::MAX_AGE_DAYS).contains(d))
            .unwrap_or_else(|| fail("usage: DAYS is a whole number from 1 to 100")),
    };
    let state = AppState::new(options, db.clone(), config.clone())
        .await
        .unwrap_or_else(|e| fail(&format!("usage: {e}")));
    let records = app::metering::simulator::usage(workspace, days, state.clock.now(), 100);
    let sent = records.len();
    match app::metering::simulator::post(&state, &config.public_origin.url(), site, records).await {
        Ok(answer) => {
            println!(
                "{sent} records sent: {} accepted, {} duplicates, {} refused",
                answer.accepted.len(),
                answer.duplicates.len(),
                answer.refused.len()
            );
            if let Some(first) = answer.refused.first() {
                println!("first refused: {} ({})", first.record_id, first.reason);
            }
            std::process::exit(0)
        }
        Err(error) => fail(&format!("usage: {error}")),
    }
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(error) => {
                tracing::warn!(%error, "cannot listen for SIGTERM");
                std::future::pending::<()>().await;
            }
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = terminate => {},
    }
    tracing::info!("shutting down: finishing requests in flight");
}

fn fail(message: &str) -> ! {
    eprintln!("billing-center: {message}");
    std::process::exit(2);
}

#[cfg(test)]
mod edge_tests;
