//! Binding and unbinding workspaces (spec section 4). A workspace is bound only with its site's
//! proof (`proof.rs`): the proof is checked under the key it names before anything in it is
//! believed, its nonce is taken in the same transaction as the binding (a replay binds
//! nothing), and the workspace must belong to no other billing account and settle in the
//! account's currency. The browser says which proof; it never says which workspace is whose.
use super::model::{BindPreview, WorkspaceEventKind};
use super::proof::{self, Claims, KeyName, ProofError};
use super::site_keys;
use super::store::{self, NewEvent};
use crate::accounts::caller::Caller;
use crate::accounts::service::Client;
use crate::error::AppError;
use crate::messages::Msg;
use crate::state::AppState;
use crate::team::audit;
use crate::team::model::AuditAction;
use sqlx::AnyConnection;

impl From<ProofError> for Msg {
    fn from(error: ProofError) -> Self {
        match error {
            ProofError::Malformed => Msg::BindProofMalformed,
            ProofError::UnknownKey => Msg::BindProofUnknown,
            ProofError::BadSignature => Msg::BindProofForged,
            ProofError::Expired => Msg::BindProofExpired,
            ProofError::TooLong => Msg::BindProofTooLong,
        }
    }
}

/// How the user brought the proof.
pub enum Proof<'a> {
    /// The token of a bind link.
    Link(&'a str),
    /// A bind code typed beside the workspace ID.
    Code { workspace_uuid: &'a str, code: &'a str },
}

impl Proof<'_> {
    /// The field a refusal is shown next to.
    fn field(&self) -> &'static str {
        match self {
            Proof::Link(_) => "token",
            Proof::Code { .. } => "code",
        }
    }

    fn key(&self) -> Result<KeyName, ProofError> {
        match self {
            Proof::Link(token) => proof::token_key(token),
            Proof::Code { code, .. } => proof::code_key(code).map(|(key, _)| key),
        }
    }
}

/// The proof's claims once its signature holds under the live key it names.
async fn verified(
    state: &AppState,
    conn: &mut AnyConnection,
    proof: &Proof<'_>,
    now: i64,
) -> Result<Claims, AppError> {
    let refuse = |error: ProofError| AppError::field(proof.field(), Msg::from(error));
    if let Proof::Code { workspace_uuid, .. } = proof {
        if !proof::workspace_id_ok(workspace_uuid.trim()) {
            return Err(AppError::field("workspace_id", Msg::EnterWorkspaceId));
        }
    }
    let key = proof.key().map_err(refuse)?;
    let secret = site_keys::live(
        conn,
        state.site_key_secret.expose(),
        &key.site_code,
        key.version,
        now,
    )
    .await?
    .ok_or_else(|| refuse(ProofError::UnknownKey))?;
    match proof {
        Proof::Link(token) => proof::verify_token(token, secret.as_bytes(), now),
        Proof::Code {
            workspace_uuid,
            code,
        } => proof::verify_code(code, workspace_uuid, secret.as_bytes(), now),
    }
    .map_err(refuse)
}

/// What a bind link would bind, for the page that asks the user to confirm. Nothing changes.
pub async fn preview(
    state: &AppState,
    caller: &Caller,
    token: &str,
) -> Result<BindPreview, AppError> {
    let mut conn = state.db.pool().acquire().await?;
    let now = state.clock.now();
    let claims = verified(state, &mut conn, &Proof::Link(token), now).await?;
    check_currency(&mut conn, caller.account_id, &claims.site_code).await?;
    Ok(BindPreview {
        site_code: claims.site_code,
        workspace_uuid: claims.workspace_uuid,
        name: claims.workspace_name,
        expires_at: state.config.time_zone.stamp(claims.expires_at),
    })
}

/// A site settling in another currency than the account's cannot be paid from it.
async fn check_currency(
    conn: &mut AnyConnection,
    account: i64,
    site_code: &str,
) -> Result<(), AppError> {
    let site = store::site(conn, site_code)
        .await?
        .ok_or(AppError::field("token", Msg::BindProofUnknown))?;
    let account = crate::accounts::store::account(conn, account)
        .await?
        .ok_or(AppError::NotFound)?;
    if site.currency != account.currency.code() {
        return Err(AppError::Rejected(Msg::WorkspaceCurrency {
            site: site.code,
            currency: site.currency,
        }));
    }
    Ok(())
}

/// Binds the workspace the proof names to the caller's account, paid by the Billing Center
/// account. Returns the workspace's id.
pub async fn bind(
    state: &AppState,
    caller: &Caller,
    proof: &Proof<'_>,
    client: &Client,
) -> Result<i64, AppError> {
    let now = state.clock.now();
    let mut tx = state.db.begin_write().await?;
    let claims = verified(state, &mut tx, proof, now).await?;
    check_currency(&mut tx, caller.account_id, &claims.site_code).await?;
    if !store::take_nonce(
        &mut tx,
        &claims.site_code,
        &claims.nonce,
        claims.expires_at,
        now,
    )
    .await?
    {
        return Err(AppError::field(proof.field(), Msg::BindProofUsed));
    }
    let found = known_workspace(&mut tx, &claims, now).await?;
    let id = found.id;
    if !store::bind(&mut tx, id, caller.account_id, now).await? {
        return Err(AppError::Rejected(if found.billing_account_id == Some(caller.account_id) {
            Msg::WorkspaceAlreadyYours
        } else {
            Msg::WorkspaceBoundElsewhere
        }));
    }
    let change = Change {
        workspace: id,
        kind: WorkspaceEventKind::Bound,
        action: AuditAction::WorkspaceBound,
        detail: format!("{} · {}", claims.site_code, claims.workspace_uuid),
    };
    recorded(&mut tx, caller, client, &change, now).await?;
    super::arrears::lock_if_account_locked(&mut tx, caller.account_id, id, now).await?;
    tx.commit().await?;
    Ok(id)
}

/// A change of one workspace by a person of the account, for its history and the audit log.
struct Change {
    workspace: i64,
    kind: WorkspaceEventKind,
    action: AuditAction,
    detail: String,
}

/// Writes the change to the workspace's history and the account's audit log, in the
/// transaction that made it.
async fn recorded(
    conn: &mut AnyConnection,
    caller: &Caller,
    client: &Client,
    change: &Change,
    now: i64,
) -> Result<(), AppError> {
    store::insert_event(
        conn,
        &NewEvent {
            workspace: change.workspace,
            account: Some(caller.account_id),
            kind: change.kind,
            detail: &change.detail,
            actor: &caller.who,
            now,
        },
    )
    .await?;
    audit::record(conn, &caller.audit(client), change.action, &change.detail, now).await?;
    super::webhooks::enqueue(conn, change.workspace, change.kind, now).await?;
    Ok(())
}

/// The workspace the claims name, made known (or renamed, as its site now calls it).
async fn known_workspace(
    conn: &mut AnyConnection,
    claims: &Claims,
    now: i64,
) -> Result<store::WorkspaceRow, AppError> {
    // A code carries no name: until its site says otherwise, the workspace is called by its ID.
    let name = match claims.workspace_name.as_str() {
        "" => claims.workspace_uuid.as_str(),
        name => name,
    };
    let found =
        store::known_workspace(conn, &claims.site_code, &claims.workspace_uuid, name, now).await?;
    if !claims.workspace_name.is_empty() && found.name != claims.workspace_name {
        store::rename_workspace(conn, found.id, name).await?;
    }
    Ok(found)
}

/// Unbinds one of the caller's workspaces: refused while it is locked (what locked it must be
/// cleared first) and, once usage is rated, while it has usage not yet settled.
pub async fn unbind(
    state: &AppState,
    caller: &Caller,
    id: i64,
    client: &Client,
) -> Result<(), AppError> {
    let now = state.clock.now();
    let mut tx = state.db.begin_write().await?;
    let workspace = store::workspace_of(&mut tx, caller.account_id, id)
        .await?
        .ok_or(AppError::NotFound)?;
    if let Some(reason) = unbind_refused(&mut tx, &workspace).await? {
        return Err(AppError::Rejected(reason));
    }
    if !store::unbind(&mut tx, id, caller.account_id).await? {
        return Err(AppError::Rejected(Msg::UnbindLocked));
    }
    let change = Change {
        workspace: id,
        kind: WorkspaceEventKind::Unbound,
        action: AuditAction::WorkspaceUnbound,
        detail: format!("{} · {}", workspace.site_code, workspace.workspace_uuid),
    };
    recorded(&mut tx, caller, client, &change, now).await?;
    tx.commit().await?;
    Ok(())
}

/// Why the workspace may not be unbound now, if it may not: it is locked, or it has usage not
/// yet rated (its account would then pay for a workspace it no longer has, or nobody would).
pub async fn unbind_refused(
    conn: &mut sqlx::AnyConnection,
    workspace: &store::WorkspaceRow,
) -> Result<Option<Msg>, sqlx::Error> {
    if workspace.locked_at.is_some() {
        return Ok(Some(Msg::UnbindLocked));
    }
    let unrated = crate::metering::store::has_unrated_usage(conn, workspace.id).await?;
    Ok(unrated.then_some(Msg::UnsettledUsage))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::server::clock::Clock;
    use crate::server::testing::{db_test, state_for};
    use crate::team::testing::{account_owned_by, owner_caller};
    use crate::workspaces::proof::Mint;
    use crate::workspaces::store::WorkspaceRow;

    const NOW: i64 = 1_796_000_000_000;

    fn client() -> Client {
        Client {
            addr: "10.20.0.1".into(),
            user_agent: "test".into(),
        }
    }

    /// A server at a fixed time with a key for CN1 and US1.
    async fn server(db: &crate::server::db::Db) -> AppState {
        let mut state = state_for(db).await;
        state.clock = Clock::fixed(NOW);
        let mut tx = state.db.begin_write().await.expect("tx");
        for site in ["CN1", "CN2", "US1"] {
            site_keys::rotate(&mut tx, state.site_key_secret.expose(), site, NOW - 1000)
                .await
                .expect("key");
        }
        tx.commit().await.expect("commit");
        state
    }

    /// A token as `site` mints it (with its own key) for `workspace`.
    fn token(state: &AppState, site: &str, workspace: &str, expires_at: i64) -> String {
        let secret = site_keys::derive(state.site_key_secret.expose(), site, 1);
        proof::mint_token(&Mint {
            site_code: site,
            version: 1,
            secret: secret.as_bytes(),
            workspace_uuid: workspace,
            workspace_name: "Production",
            expires_at,
            nonce: &crate::server::secrets::random_hex(16),
        })
    }

    fn code(state: &AppState, site: &str, workspace: &str) -> String {
        let secret = site_keys::derive(state.site_key_secret.expose(), site, 1);
        proof::mint_code(&Mint {
            site_code: site,
            version: 1,
            secret: secret.as_bytes(),
            workspace_uuid: workspace,
            workspace_name: "",
            expires_at: NOW + 10 * crate::time::MINUTE_MS,
            nonce: &crate::server::secrets::random_hex(5),
        })
        .expect("code")
    }

    fn refusal(result: Result<i64, AppError>) -> Msg {
        match result.expect_err("refused") {
            AppError::Rejected(msg) => msg,
            AppError::Field { message, .. } => message,
            other => panic!("unexpected {other:?}"),
        }
    }

    async fn row(state: &AppState, uuid: &str) -> Option<WorkspaceRow> {
        let mut conn = state.db.pool().acquire().await.expect("conn");
        store::workspace_at(&mut conn, "CN1", uuid).await.expect("db")
    }

    db_test!(a_bind_link_binds_once_and_only_for_one_account, |db| async move {
        let state = server(&db).await;
        let (mine, _) = account_owned_by(&db, "Mine Co.", "mine@example.com").await;
        let (theirs, _) = account_owned_by(&db, "Theirs Co.", "theirs@example.com").await;
        let (me, them) = (owner_caller(&db, mine).await, owner_caller(&db, theirs).await);
        let link = token(&state, "CN1", "wksp_prod", NOW + 30 * crate::time::MINUTE_MS);

        let preview = preview(&state, &me, &link).await.expect("preview");
        assert_eq!((preview.site_code.as_str(), preview.name.as_str()), ("CN1", "Production"));
        assert!(row(&state, "wksp_prod").await.is_none(), "a preview changes nothing");

        let id = bind(&state, &me, &Proof::Link(&link), &client()).await.expect("bound");
        let bound = row(&state, "wksp_prod").await.expect("row");
        assert_eq!((bound.id, bound.billing_account_id), (id, Some(mine)));
        // The same link again, by anyone: used.
        assert_eq!(refusal(bind(&state, &me, &Proof::Link(&link), &client()).await), Msg::BindProofUsed);
        assert_eq!(refusal(bind(&state, &them, &Proof::Link(&link), &client()).await), Msg::BindProofUsed);
        // A fresh proof for a bound workspace: not another account's to take.
        let fresh = token(&state, "CN1", "wksp_prod", NOW + 60_000);
        assert_eq!(
            refusal(bind(&state, &them, &Proof::Link(&fresh), &client()).await),
            Msg::WorkspaceBoundElsewhere
        );
        let fresh = token(&state, "CN1", "wksp_prod", NOW + 60_000);
        assert_eq!(
            refusal(bind(&state, &me, &Proof::Link(&fresh), &client()).await),
            Msg::WorkspaceAlreadyYours
        );
        assert_eq!(row(&state, "wksp_prod").await.expect("row").billing_account_id, Some(mine));
        // The history and the audit log say who bound it.
        let detail = crate::workspaces::management::detail(&state, mine, id).await.expect("detail");
        assert_eq!(detail.events.len(), 1);
        assert_eq!(detail.events[0].kind, WorkspaceEventKind::Bound);
        assert_eq!(detail.events[0].actor, "mine@example.com");
        // Another account cannot read it by its id.
        assert_eq!(
            crate::workspaces::management::detail(&state, theirs, id).await,
            Err(AppError::NotFound)
        );
    });

    db_test!(a_bind_code_binds_the_workspace_typed_beside_it, |db| async move {
        let state = server(&db).await;
        let (mine, _) = account_owned_by(&db, "Mine Co.", "mine@example.com").await;
        let me = owner_caller(&db, mine).await;
        let typed = code(&state, "CN1", "wksp_code");
        let wrong = Proof::Code { workspace_uuid: "wksp_other", code: &typed };
        assert_eq!(refusal(bind(&state, &me, &wrong, &client()).await), Msg::BindProofForged);
        let bad_id = Proof::Code { workspace_uuid: "not an id", code: &typed };
        assert_eq!(refusal(bind(&state, &me, &bad_id, &client()).await), Msg::EnterWorkspaceId);
        let right = Proof::Code { workspace_uuid: "wksp_code", code: &typed };
        bind(&state, &me, &right, &client()).await.expect("bound");
        let bound = row(&state, "wksp_code").await.expect("row");
        assert_eq!(bound.name, "wksp_code", "a code carries no name");
        assert_eq!(refusal(bind(&state, &me, &right, &client()).await), Msg::BindProofUsed);
    });

    db_test!(stale_forged_and_foreign_proofs_change_nothing, |db| async move {
        let state = server(&db).await;
        let (mine, _) = account_owned_by(&db, "Mine Co.", "mine@example.com").await;
        let me = owner_caller(&db, mine).await;
        let refused = |t: String| {
            let (state, me) = (state.clone(), me.clone());
            async move { refusal(bind(&state, &me, &Proof::Link(&t), &client()).await) }
        };
        assert_eq!(refused(token(&state, "CN1", "w1", NOW - 1)).await, Msg::BindProofExpired);
        assert_eq!(
            refused(token(&state, "CN1", "w1", NOW + 2 * crate::time::HOUR_MS)).await,
            Msg::BindProofTooLong
        );
        // CN2's key cannot vouch for CN1: the front names CN1, the signature is CN2's.
        let forged = token(&state, "CN2", "w1", NOW + 60_000).replacen("CN2.", "CN1.", 1);
        assert_eq!(refused(forged).await, Msg::BindProofForged);
        // A site without a key (CN4), and a key version that does not exist.
        assert_eq!(refused(token(&state, "CN4", "w1", NOW + 60_000)).await, Msg::BindProofUnknown);
        let unknown = token(&state, "CN1", "w1", NOW + 60_000).replacen("CN1.1.", "CN1.7.", 1);
        assert_eq!(refused(unknown).await, Msg::BindProofUnknown);
        assert_eq!(refused("not a token".into()).await, Msg::BindProofMalformed);
        // A USD site for a CNY account: refused, and the link stays usable (nothing taken).
        let usd = token(&state, "US1", "w_usd", NOW + 60_000);
        for _ in 0..2 {
            assert_eq!(
                refused(usd.clone()).await,
                Msg::WorkspaceCurrency { site: "US1".into(), currency: "USD".into() }
            );
        }
        assert!(row(&state, "w1").await.is_none() && row(&state, "w_usd").await.is_none());
        // A workspace ID is its site's: CN2's proof for the same ID is another workspace.
        let cn1 = bind(&state, &me, &Proof::Link(&token(&state, "CN1", "w_same", NOW + 60_000)), &client())
            .await
            .expect("bound");
        let cn2 = bind(&state, &me, &Proof::Link(&token(&state, "CN2", "w_same", NOW + 60_000)), &client())
            .await
            .expect("bound");
        assert_ne!(cn1, cn2);
        // The link expires while the user waits on the confirmation page.
        let link = token(&state, "CN1", "w_late", NOW + 60_000);
        preview(&state, &me, &link).await.expect("still valid");
        state.clock.advance(61_000);
        assert_eq!(refused(link).await, Msg::BindProofExpired);
    });

    db_test!(unbinding_is_refused_while_locked, |db| async move {
        let state = server(&db).await;
        let (mine, _) = account_owned_by(&db, "Mine Co.", "mine@example.com").await;
        let (theirs, _) = account_owned_by(&db, "Theirs Co.", "theirs@example.com").await;
        let me = owner_caller(&db, mine).await;
        let them = owner_caller(&db, theirs).await;
        let link = token(&state, "CN1", "w_unbind", NOW + 60_000);
        let id = bind(&state, &me, &Proof::Link(&link), &client()).await.expect("bound");
        assert_eq!(unbind(&state, &them, id, &client()).await, Err(AppError::NotFound));
        sqlx::query("UPDATE workspaces SET locked_at = $1, lock_reason = 'operator' WHERE id = $2")
            .bind(NOW)
            .bind(id)
            .execute(db.pool())
            .await
            .expect("lock");
        assert_eq!(
            unbind(&state, &me, id, &client()).await,
            Err(AppError::Rejected(Msg::UnbindLocked))
        );
        let detail = crate::workspaces::management::detail(&state, mine, id).await.expect("detail");
        assert_eq!(detail.unbind_refused, Some(Msg::UnbindLocked));
        assert_eq!(detail.lock_reason, Some(crate::workspaces::model::LockReason::Operator));
        sqlx::query("UPDATE workspaces SET locked_at = NULL, lock_reason = NULL WHERE id = $1")
            .bind(id)
            .execute(db.pool())
            .await
            .expect("unlock");
        unbind(&state, &me, id, &client()).await.expect("unbound");
        assert_eq!(row(&state, "w_unbind").await.expect("row").billing_account_id, None);
        // Unbound, it can be bound again, by another account, with a new proof.
        let again = token(&state, "CN1", "w_unbind", NOW + 60_000);
        bind(&state, &them, &Proof::Link(&again), &client()).await.expect("rebound");
        // The first account's history stays its own.
        let kinds: Vec<_> = {
            let mut conn = db.pool().acquire().await.expect("conn");
            store::events(&mut conn, id, mine).await.expect("events").into_iter().map(|e| e.kind).collect()
        };
        assert_eq!(kinds, [WorkspaceEventKind::Unbound, WorkspaceEventKind::Bound]);
    });

    db_test!(a_burst_of_binds_binds_once, |db| async move {
        let state = server(&db).await;
        let (mine, _) = account_owned_by(&db, "Mine Co.", "mine@example.com").await;
        let (theirs, _) = account_owned_by(&db, "Theirs Co.", "theirs@example.com").await;
        let callers = [owner_caller(&db, mine).await, owner_caller(&db, theirs).await];
        let link = token(&state, "CN1", "w_race", NOW + 60_000);
        // The same link 100 times, and 100 fresh links for the same workspace, from two accounts.
        let mut tasks = Vec::new();
        for i in 0..200 {
            let (state, caller) = (state.clone(), callers[i % 2].clone());
            let proof = if i < 100 { link.clone() } else { token(&state, "CN1", "w_race", NOW + 60_000) };
            tasks.push(tokio::spawn(async move {
                bind(&state, &caller, &Proof::Link(&proof), &client()).await.is_ok()
            }));
        }
        let mut bound = 0;
        for task in tasks {
            bound += usize::from(task.await.expect("task"));
        }
        assert_eq!(bound, 1);
        let mut conn = db.pool().acquire().await.expect("conn");
        let (events,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM workspace_events")
            .fetch_one(&mut *conn)
            .await
            .expect("count");
        assert_eq!(events, 1);
    });
}
