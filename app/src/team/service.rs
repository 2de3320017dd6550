//! The people of a billing account: the Members page, invitations, roles, removal, handing over
//! ownership and switching the account a session acts in. Each change runs in one write
//! transaction with its audit line; an account always keeps at least one Owner.
use super::audit;
use super::model::{AuditAction, InvitationView, Permission, Role, Team};
use super::store::{self, NewInvitation};
use crate::accounts::caller::Caller;
use crate::accounts::service::{Client, SignedIn};
use crate::accounts::session::CallerSession;
use crate::error::AppError;
use crate::messages::Msg;
use crate::server::delivery::Message;
use crate::server::limits::{self, Limit};
use crate::state::AppState;
use crate::time::{DAY_MS, HOUR_MS};
use crate::verification::{Address, Channel, Purpose};
use sqlx::AnyConnection;

/// An invitation link works for 7 days.
pub const INVITATION_VALID_MS: i64 = 7 * DAY_MS;
/// Invitations one billing account may send per hour, and one address may receive per day:
/// each is a message we send, so they are limited like codes.
pub const INVITATIONS_PER_ACCOUNT_HOUR: i64 = 20;
pub const INVITATIONS_PER_ADDRESS_DAY: i64 = 5;

fn invitation_hash(token: &str) -> String {
    crate::accounts::service::token_hash(token)
}

/// Serialises changes to one account's members: an update of the account's row takes its row
/// lock on PostgreSQL (SQLite's write transactions are one at a time anyway), so two Owners
/// demoting each other at once cannot both see the other as the remaining Owner.
async fn lock_members(conn: &mut AnyConnection, account: i64) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE billing_accounts SET id = id WHERE id = $1")
        .bind(account)
        .execute(conn)
        .await?;
    Ok(())
}

/// Checks, under the members' lock, that the caller still holds `permission` (their role was
/// read with the session, before this transaction waited for the lock: an Owner demoted or
/// removed meanwhile must not act as one).
async fn still_may(
    conn: &mut AnyConnection,
    caller: &Caller,
    permission: Permission,
) -> Result<Role, AppError> {
    match store::role(conn, caller.account_id, caller.user_id).await? {
        Some(role) if role.may(permission) => Ok(role),
        Some(_) => Err(AppError::Forbidden(Msg::RoleMayNot)),
        None => Err(AppError::Forbidden(Msg::NoBillingAccount)),
    }
}

/// Only the hand-over (confirmed with a code) makes an Owner: a stolen session must not be
/// able to add one by a role change or an invitation.
fn not_owner(role: Role) -> Result<Role, AppError> {
    if role == Role::Owner {
        return Err(AppError::field("role", Msg::OwnerOnlyByHandOver));
    }
    Ok(role)
}

/// The Members page.
pub async fn team(state: &AppState, caller: &Caller) -> Result<Team, AppError> {
    let zone = &state.config.time_zone;
    let mut conn = state.db.pool().acquire().await?;
    let members = store::members(&mut conn, zone, caller.account_id, caller.user_id).await?;
    let invitations =
        store::pending_invitations(&mut conn, zone, caller.account_id, state.clock.now()).await?;
    Ok(Team {
        members,
        invitations,
        can_manage: caller.role.may(Permission::Members),
    })
}

/// Invites `address` to join with `role`: a single-use link valid 7 days goes to the address.
pub async fn invite(
    state: &AppState,
    caller: &Caller,
    address: &Address,
    role: Role,
    client: &Client,
) -> Result<(), AppError> {
    caller.may(Permission::Members)?;
    let role = not_owner(role)?;
    // The same countries as every text we send (an invitation is one).
    crate::accounts::service::check_country(state, address)?;
    let now = state.clock.now();
    let mut tx = state.db.begin_write().await?;
    lock_members(&mut tx, caller.account_id).await?;
    still_may(&mut tx, caller, Permission::Members).await?;
    let budgets = [
        Limit::new(
            format!("invitations:{}", caller.account_id),
            INVITATIONS_PER_ACCOUNT_HOUR,
            HOUR_MS,
        ),
        Limit::new(
            format!("invitations-to:{}", address.as_str()),
            INVITATIONS_PER_ADDRESS_DAY,
            DAY_MS,
        ),
    ];
    if let Err(reached) = limits::take_all(&mut tx, &budgets, now).await? {
        let seconds = reached.seconds();
        return Err(AppError::throttled(
            "address",
            Msg::TooManyInvitations {
                seconds: seconds.to_string(),
            },
            seconds,
        ));
    }
    if let Some(user) = crate::accounts::store::find_by_address(&mut tx, address).await? {
        if store::role(&mut tx, caller.account_id, user.id)
            .await?
            .is_some()
        {
            return Err(AppError::field("address", Msg::AlreadyMember));
        }
    }
    let token = crate::server::secrets::random_hex(32);
    store::insert_invitation(
        &mut tx,
        &NewInvitation {
            account: caller.account_id,
            channel: address.channel().code(),
            address: address.as_str(),
            role,
            token_hash: &invitation_hash(&token),
            invited_by: caller.user_id,
            now,
            expires_at: now + INVITATION_VALID_MS,
        },
    )
    .await?;
    let company = crate::accounts::store::account(&mut tx, caller.account_id)
        .await?
        .map(|a| a.company_name)
        .unwrap_or_default();
    let brand = &state.config.brand_name;
    let link = format!(
        "{}/invitations/accept?token={token}",
        state.config.public_origin.url()
    );
    let message = Message {
        channel: address.channel(),
        to: address.as_str().to_string(),
        subject: format!("{brand}: you are invited to the billing account of {company}"),
        body: format!(
            "{} invites you to the {brand} billing account of {company} as {}. The link works once, \
             for 7 days: {link} \
             {}邀请您以{}身份加入{company}的{brand}费用中心账户，链接7天内有效：{link}",
            caller.who,
            role.label().english(),
            caller.who,
            role.label().text(crate::i18n::Locale::zh),
        ),
    };
    let queued = state
        .delivery
        .queue(&mut tx, &message)
        .await
        .map_err(|_| AppError::field("address", Msg::ChannelUnavailable))?;
    audit::record(
        &mut tx,
        &caller.audit(client),
        AuditAction::MemberInvited,
        &format!("{} as {}", address.masked(), role.code()),
        now,
    )
    .await?;
    tx.commit().await?;
    // Sent after the commit; the timer retries what cannot go out now.
    let _ = state.delivery.deliver(&state.db, &[queued]).await;
    Ok(())
}

/// Withdraws an open invitation of the caller's account.
pub async fn revoke(
    state: &AppState,
    caller: &Caller,
    invitation: i64,
    client: &Client,
) -> Result<(), AppError> {
    caller.may(Permission::Members)?;
    let now = state.clock.now();
    let mut tx = state.db.begin_write().await?;
    let address = store::revoke_invitation(&mut tx, caller.account_id, invitation, now)
        .await?
        .ok_or(AppError::NotFound)?;
    let masked = Address::parse(&address)
        .map(|a| a.masked())
        .unwrap_or_default();
    audit::record(
        &mut tx,
        &caller.audit(client),
        AuditAction::InvitationRevoked,
        &masked,
        now,
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Whether `user` signs in with the invited address.
async fn is_invitee(
    conn: &mut AnyConnection,
    invitation: &store::InvitationRow,
    user: i64,
) -> Result<bool, sqlx::Error> {
    let found = crate::accounts::store::find_by_address(conn, &invitation.invited()).await?;
    Ok(found.is_some_and(|found| found.id == user))
}

/// The open invitation a link names, or why it cannot be used.
async fn open_invitation(
    conn: &mut AnyConnection,
    token: &str,
    now: i64,
) -> Result<store::InvitationRow, AppError> {
    let invitation = store::invitation_by_token(conn, &invitation_hash(token.trim()))
        .await?
        .ok_or(AppError::Rejected(Msg::InvitationInvalid))?;
    if invitation.closed != 0 {
        return Err(AppError::Rejected(Msg::InvitationUsed));
    }
    if invitation.expires_at <= now {
        return Err(AppError::Rejected(Msg::InvitationExpired));
    }
    Ok(invitation)
}

/// What the invitation page shows.
pub async fn invitation(
    state: &AppState,
    token: &str,
    session: Option<&CallerSession>,
) -> Result<InvitationView, AppError> {
    let mut conn = state.db.pool().acquire().await?;
    let invitation = open_invitation(&mut conn, token, state.clock.now()).await?;
    let yours = match session {
        Some(session) => is_invitee(&mut conn, &invitation, session.user_id).await?,
        None => false,
    };
    let address = invitation.invited().masked();
    Ok(InvitationView {
        company_name: invitation.company_name,
        role: invitation.role,
        address,
        yours,
        signed_in: session.is_some(),
    })
}

/// Makes `user` a member by the invitation `token`, inside `conn`'s transaction. The update
/// that uses the link up is conditional, so of two acceptances at once only one joins.
async fn join(
    conn: &mut AnyConnection,
    token: &str,
    user: i64,
    client_addr: &str,
    now: i64,
) -> Result<i64, AppError> {
    let invitation = open_invitation(conn, token, now).await?;
    if !is_invitee(conn, &invitation, user).await? {
        let address = invitation.invited().masked();
        return Err(AppError::Forbidden(Msg::InvitationNotYours { address }));
    }
    lock_members(conn, invitation.account).await?;
    if store::role(conn, invitation.account, user).await?.is_some() {
        return Err(AppError::Rejected(Msg::AlreadyMember));
    }
    if !store::accept_invitation(conn, invitation.id, user, now).await? {
        return Err(AppError::Rejected(Msg::InvitationUsed));
    }
    store::insert_membership(conn, invitation.account, user, invitation.role, now).await?;
    let actor = audit::AuditActor {
        account: invitation.account,
        user: Some(user),
        who: &invitation.address,
        by_operator: false,
        client_addr,
    };
    audit::record(
        conn,
        &actor,
        AuditAction::MemberJoined,
        invitation.role.code(),
        now,
    )
    .await?;
    Ok(invitation.account)
}

/// A signed-in user accepts an invitation sent to their address; their session then acts in
/// the account they joined.
pub async fn accept(
    state: &AppState,
    session: &CallerSession,
    token: &str,
    client: &Client,
) -> Result<(), AppError> {
    let now = state.clock.now();
    let mut tx = state.db.begin_write().await?;
    let account = join(&mut tx, token, session.user_id, &client.addr, now).await?;
    crate::accounts::store::set_session_account(&mut tx, session.session_id, Some(account)).await?;
    tx.commit().await?;
    Ok(())
}

/// Someone without a sign-in accepts: a code to the invited address creates their user, and
/// they join in the same transaction.
pub async fn accept_as_new_user(
    state: &AppState,
    token: &str,
    code: &str,
    password: Option<String>,
    client: &Client,
) -> Result<SignedIn, AppError> {
    let address = {
        let mut conn = state.db.pool().acquire().await?;
        open_invitation(&mut conn, token, state.clock.now())
            .await?
            .invited()
    };
    let client_addr = client.addr.clone();
    crate::accounts::service::register_user(
        state,
        &address,
        code,
        password,
        client,
        async |tx, user, now| join(tx, token, user, &client_addr, now).await.map(|_| ()),
    )
    .await
}

/// Refuses a change that would leave the account without an Owner.
async fn keep_an_owner(
    conn: &mut AnyConnection,
    account: i64,
    leaving_owner: bool,
) -> Result<(), AppError> {
    if leaving_owner && store::count_with_role(conn, account, Role::Owner).await? <= 1 {
        return Err(AppError::Rejected(Msg::LastOwner));
    }
    Ok(())
}

fn member_label(member: &super::model::Member) -> String {
    member
        .email
        .clone()
        .or(member.phone.clone())
        .unwrap_or_else(|| format!("#{}", member.user_id))
}

async fn member(
    conn: &mut AnyConnection,
    state: &AppState,
    account: i64,
    user: i64,
) -> Result<super::model::Member, AppError> {
    store::members(conn, &state.config.time_zone, account, 0)
        .await?
        .into_iter()
        .find(|m| m.user_id == user)
        .ok_or(AppError::NotFound)
}

/// Gives member `user` the role `role`.
pub async fn change_role(
    state: &AppState,
    caller: &Caller,
    user: i64,
    role: Role,
    client: &Client,
) -> Result<(), AppError> {
    caller.may(Permission::Members)?;
    let role = not_owner(role)?;
    let now = state.clock.now();
    let mut tx = state.db.begin_write().await?;
    lock_members(&mut tx, caller.account_id).await?;
    still_may(&mut tx, caller, Permission::Members).await?;
    let target = member(&mut tx, state, caller.account_id, user).await?;
    if target.role == role {
        return Ok(());
    }
    keep_an_owner(&mut tx, caller.account_id, target.role == Role::Owner).await?;
    store::set_role(&mut tx, caller.account_id, user, role).await?;
    if !role.may(Permission::Members) {
        store::revoke_invitations_by(&mut tx, caller.account_id, user, now).await?;
    }
    audit::record(
        &mut tx,
        &caller.audit(client),
        AuditAction::RoleChanged,
        &format!(
            "{}: {} -> {}",
            member_label(&target),
            target.role.code(),
            role.code()
        ),
        now,
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Removes member `user` (an Owner removing anyone, or anyone leaving by themselves).
pub async fn remove(
    state: &AppState,
    caller: &Caller,
    user: i64,
    client: &Client,
) -> Result<(), AppError> {
    if user != caller.user_id {
        caller.may(Permission::Members)?;
    }
    let now = state.clock.now();
    let mut tx = state.db.begin_write().await?;
    lock_members(&mut tx, caller.account_id).await?;
    if user != caller.user_id {
        still_may(&mut tx, caller, Permission::Members).await?;
    }
    let target = member(&mut tx, state, caller.account_id, user).await?;
    keep_an_owner(&mut tx, caller.account_id, target.role == Role::Owner).await?;
    store::delete_membership(&mut tx, caller.account_id, user).await?;
    store::revoke_invitations_by(&mut tx, caller.account_id, user, now).await?;
    if user == caller.user_id {
        // Leaving: this browser goes on in the user's next account, if they have one.
        let next = store::memberships(&mut tx, user)
            .await?
            .first()
            .map(|m| m.account_id);
        crate::accounts::store::set_session_account(&mut tx, caller.session_id, next).await?;
    }
    audit::record(
        &mut tx,
        &caller.audit(client),
        AuditAction::MemberRemoved,
        &member_label(&target),
        now,
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Step 1 of handing over ownership: a code to the Owner's own address.
pub async fn send_transfer_code(
    state: &AppState,
    caller: &Caller,
    client: &Client,
) -> Result<(), AppError> {
    caller.may(Permission::Members)?;
    crate::accounts::service::send_own_code(
        state,
        caller.user_id,
        Purpose::TransferOwnership,
        client,
    )
    .await
}

/// Step 2: with the code, member `to` becomes an Owner and the caller takes `then` (Owner too,
/// to share ownership rather than hand it over), in one transaction.
pub async fn transfer_ownership(
    state: &AppState,
    caller: &Caller,
    to: i64,
    then: Role,
    code: &str,
    client: &Client,
) -> Result<(), AppError> {
    caller.may(Permission::Members)?;
    if caller.role != Role::Owner {
        return Err(AppError::Forbidden(Msg::RoleMayNot));
    }
    if to == caller.user_id {
        return Err(AppError::field("to", Msg::TransferToOwnerAlready));
    }
    let account = caller.account_id;
    let actor = caller.audit(client);
    crate::accounts::service::with_own_code(
        state,
        caller.user_id,
        Purpose::TransferOwnership,
        code,
        async |tx, now| {
            lock_members(tx, account).await?;
            if still_may(tx, caller, Permission::Members).await? != Role::Owner {
                return Err(AppError::Forbidden(Msg::RoleMayNot));
            }
            let target = member(tx, state, account, to).await?;
            if target.role == Role::Owner {
                return Err(AppError::field("to", Msg::TransferToOwnerAlready));
            }
            store::set_role(tx, account, to, Role::Owner).await?;
            store::set_role(tx, account, caller.user_id, then).await?;
            if then != Role::Owner {
                store::revoke_invitations_by(tx, account, caller.user_id, now).await?;
            }
            audit::record(
                tx,
                &actor,
                AuditAction::OwnershipTransferred,
                &format!(
                    "to {}; the previous Owner is now {}",
                    member_label(&target),
                    then.code()
                ),
                now,
            )
            .await?;
            Ok(())
        },
    )
    .await
}

/// Makes the caller's session act in `account`, one they belong to.
pub async fn switch(
    state: &AppState,
    session: &CallerSession,
    account: i64,
) -> Result<(), AppError> {
    let mut tx = state.db.begin_write().await?;
    if store::role(&mut tx, account, session.user_id)
        .await?
        .is_none()
    {
        return Err(AppError::NotFound);
    }
    crate::accounts::store::set_session_account(&mut tx, session.session_id, Some(account)).await?;
    tx.commit().await?;
    Ok(())
}

/// The addresses money and arrears notices of `account` go to: its Owners' and Finance
/// members' emails (a phone when a member has no email).
pub async fn money_notice_addresses(
    conn: &mut AnyConnection,
    account: i64,
) -> Result<Vec<Address>, sqlx::Error> {
    Ok(store::recipients(conn, account)
        .await?
        .into_iter()
        .filter(|member| member.role.receives_money_notices())
        .filter_map(|member| {
            member
                .email
                .map(|e| Address::stored(Channel::Email, e))
                .or(member.phone.map(|p| Address::stored(Channel::Sms, p)))
        })
        .collect())
}

/// Queues one notice to the members of `account` who handle money, in the caller's
/// transaction; what could not be queued is logged, not failed (the change it tells of stands).
pub async fn queue_money_notice(
    state: &AppState,
    conn: &mut AnyConnection,
    account: i64,
    subject: &str,
    body: &str,
) -> Result<Vec<crate::server::delivery::Queued>, sqlx::Error> {
    let mut queued = Vec::new();
    for address in money_notice_addresses(conn, account).await? {
        let message = Message {
            channel: address.channel(),
            to: address.as_str().to_string(),
            subject: subject.to_string(),
            body: body.to_string(),
        };
        match state.delivery.queue(conn, &message).await {
            Ok(one) => queued.push(one),
            Err(error) => tracing::warn!(%error, account, "money notice cannot be sent"),
        }
    }
    Ok(queued)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::server::db::now_millis;
    use crate::server::testing::{db_test, last_code, last_message, state_for};
    use crate::team::model::AuditQuery;
    use crate::team::testing::{account_owned_by, owner_of};

    fn client() -> Client {
        Client {
            addr: "10.20.0.1".to_string(),
            user_agent: "test".to_string(),
        }
    }

    fn caller(account: i64, user: i64, role: Role, who: &str) -> Caller {
        Caller {
            session_id: 0,
            user_id: user,
            account_id: account,
            role,
            who: who.to_string(),
        }
    }

    /// The demo account and its Owner as a caller.
    async fn demo_owner(state: &AppState) -> Caller {
        let account = crate::demo::seed_account(&state.db).await.expect("demo");
        let user = owner_of(&state.db, account).await;
        caller(account, user, Role::Owner, crate::demo::DEMO_EMAIL)
    }

    /// A signed-in session of `user`, acting in `account`.
    async fn session_of(state: &AppState, user: i64, account: Option<i64>) -> CallerSession {
        let token = crate::server::secrets::random_hex(16);
        let mut tx = state.db.begin_write().await.expect("tx");
        crate::accounts::store::insert_session(
            &mut tx,
            &crate::accounts::service::token_hash(&token),
            user,
            account,
            "test",
            "10.20.0.9",
            now_millis(),
        )
        .await
        .expect("session");
        tx.commit().await.expect("commit");
        crate::accounts::service::session(state, &token)
            .await
            .expect("db")
            .expect("live")
            .into()
    }

    async fn add_member(state: &AppState, account: i64, email: &str, role: Role) -> i64 {
        let mut tx = state.db.begin_write().await.expect("tx");
        let address = Address::email(email).expect("valid");
        let user = crate::accounts::store::insert_user(&mut tx, &address, None, 0)
            .await
            .expect("user");
        store::insert_membership(&mut tx, account, user, role, 0)
            .await
            .expect("member");
        tx.commit().await.expect("commit");
        user
    }

    fn token_in(message: &str) -> String {
        message
            .split("token=")
            .nth(1)
            .and_then(|rest| rest.split_whitespace().next())
            .expect("a link with a token")
            .to_string()
    }

    async fn actions(state: &AppState, account: i64) -> Vec<AuditAction> {
        audit::page(
            &state.db,
            &crate::time::Zone::utc(),
            account,
            &AuditQuery::default(),
        )
        .await
        .expect("audit")
        .rows
        .into_iter()
        .map(|entry| entry.action)
        .collect()
    }

    async fn role_of(state: &AppState, account: i64, user: i64) -> Option<Role> {
        let mut conn = state.db.pool().acquire().await.expect("conn");
        store::role(&mut conn, account, user).await.expect("role")
    }

    db_test!(
        an_invitation_joins_once_and_only_its_address,
        |db| async move {
            let state = state_for(&db).await;
            let owner = demo_owner(&state).await;
            let finance = Address::email("fin@example.com").expect("valid");
            invite(&state, &owner, &finance, Role::Finance, &client())
                .await
                .expect("invited");
            let token = token_in(&last_message(&db, &finance).await);
            let shown = invitation(&state, &token, None).await.expect("shown");
            assert_eq!(shown.role, Role::Finance);
            assert!(!shown.yours);
            // Someone else, signed in with another address, cannot use the link.
            let (_, other) = account_owned_by(&db, "Other Co.", "other@example.com").await;
            let other_session = session_of(&state, other, None).await;
            assert!(matches!(
                accept(&state, &other_session, &token, &client()).await,
                Err(AppError::Forbidden(Msg::InvitationNotYours { .. }))
            ));
            // The invitee creates a sign-in with a code to the invited address and joins.
            crate::accounts::service::request_code(&state, &finance, Purpose::Register, &client())
                .await
                .expect("code");
            let code = last_code(&db, &finance).await;
            let joined = accept_as_new_user(&state, &token, &code, None, &client())
                .await
                .expect("joined");
            assert_eq!(
                role_of(&state, owner.account_id, joined.user_id).await,
                Some(Role::Finance)
            );
            let live = crate::accounts::service::session(&state, &joined.token)
                .await
                .expect("db")
                .expect("live");
            assert_eq!(
                live.account,
                Some((owner.account_id, "finance".to_string()))
            );
            // The link is used up: replayed by the invitee, or by anyone.
            let theirs = CallerSession::from(live);
            assert_eq!(
                accept(&state, &theirs, &token, &client()).await,
                Err(AppError::Rejected(Msg::InvitationUsed))
            );
            assert_eq!(
                accept(&state, &other_session, &token, &client()).await,
                Err(AppError::Rejected(Msg::InvitationUsed))
            );
            // Inviting a member again is refused.
            assert_eq!(
                invite(&state, &owner, &finance, Role::Viewer, &client())
                    .await
                    .map_err(|e| e.message_for("address")),
                Err(Some(Msg::AlreadyMember))
            );
            // An expired link and a withdrawn one say so.
            let late = Address::email("late@example.com").expect("valid");
            invite(&state, &owner, &late, Role::Viewer, &client())
                .await
                .expect("invited");
            let late_token = token_in(&last_message(&db, &late).await);
            sqlx::query("UPDATE invitations SET expires_at = 1 WHERE address = 'late@example.com'")
                .execute(db.pool())
                .await
                .expect("expire");
            assert_eq!(
                invitation(&state, &late_token, None).await,
                Err(AppError::Rejected(Msg::InvitationExpired))
            );
            let withdrawn = Address::email("withdrawn@example.com").expect("valid");
            invite(&state, &owner, &withdrawn, Role::Viewer, &client())
                .await
                .expect("invited");
            let withdrawn_token = token_in(&last_message(&db, &withdrawn).await);
            // On the server's clock, seven days and a minute later the link has expired too.
            let mut later = state.clone();
            later.clock =
                crate::server::clock::Clock::fixed(now_millis() + INVITATION_VALID_MS + 60_000);
            assert_eq!(
                invitation(&later, &withdrawn_token, None).await,
                Err(AppError::Rejected(Msg::InvitationExpired))
            );
            let open = team(&state, &owner).await.expect("team").invitations;
            assert_eq!(open.len(), 1, "the used and the expired ones are not open");
            revoke(&state, &owner, open[0].id, &client())
                .await
                .expect("revoked");
            assert_eq!(
                invitation(&state, &withdrawn_token, None).await,
                Err(AppError::Rejected(Msg::InvitationUsed))
            );
            assert_eq!(
                invitation(&state, "not-a-token", None).await,
                Err(AppError::Rejected(Msg::InvitationInvalid))
            );
            // A Finance member may not invite.
            let fin = caller(
                owner.account_id,
                joined.user_id,
                Role::Finance,
                "fin@example.com",
            );
            assert_eq!(
                invite(&state, &fin, &late, Role::Owner, &client()).await,
                Err(AppError::Forbidden(Msg::RoleMayNot))
            );
            let logged = actions(&state, owner.account_id).await;
            for action in [
                AuditAction::MemberInvited,
                AuditAction::MemberJoined,
                AuditAction::InvitationRevoked,
            ] {
                assert!(logged.contains(&action), "{action:?} in {logged:?}");
            }
        }
    );

    db_test!(an_account_always_keeps_an_owner, |db| async move {
        let state = state_for(&db).await;
        let owner = demo_owner(&state).await;
        let account = owner.account_id;
        assert_eq!(
            change_role(&state, &owner, owner.user_id, Role::Viewer, &client()).await,
            Err(AppError::Rejected(Msg::LastOwner))
        );
        assert_eq!(
            remove(&state, &owner, owner.user_id, &client()).await,
            Err(AppError::Rejected(Msg::LastOwner))
        );
        let second = add_member(&state, account, "second@example.com", Role::Viewer).await;
        assert_eq!(
            remove(&state, &owner, 999_999, &client()).await,
            Err(AppError::NotFound)
        );
        // An Owner is made only by the hand-over (with a code), not by a role change.
        assert_eq!(
            change_role(&state, &owner, second, Role::Owner, &client())
                .await
                .map_err(|e| e.message_for("role")),
            Err(Some(Msg::OwnerOnlyByHandOver))
        );
        sqlx::query("UPDATE memberships SET role = 'owner' WHERE user_id = $1")
            .bind(second)
            .execute(db.pool())
            .await
            .expect("second owner");
        change_role(&state, &owner, owner.user_id, Role::Finance, &client())
            .await
            .expect("the first steps down");
        assert_eq!(
            role_of(&state, account, owner.user_id).await,
            Some(Role::Finance)
        );
        // Leaving: a removed member's session no longer acts in the account.
        let session = session_of(&state, owner.user_id, Some(account)).await;
        let me = caller(
            account,
            owner.user_id,
            Role::Finance,
            crate::demo::DEMO_EMAIL,
        );
        remove(&state, &me, owner.user_id, &client())
            .await
            .expect("left");
        let token_session = sqlx::query("SELECT account_id FROM sessions WHERE id = $1")
            .bind(session.session_id)
            .fetch_one(db.pool())
            .await
            .expect("session row");
        use sqlx::Row;
        assert_eq!(
            token_session
                .try_get::<Option<i64>, _>("account_id")
                .expect("col"),
            None
        );
        assert!(actions(&state, account)
            .await
            .contains(&AuditAction::RoleChanged));
        assert!(actions(&state, account)
            .await
            .contains(&AuditAction::MemberRemoved));
    });

    db_test!(
        invitations_end_with_their_senders_right_to_send,
        |db| async move {
            let state = state_for(&db).await;
            let owner = demo_owner(&state).await;
            let account = owner.account_id;
            let second = add_member(&state, account, "second@example.com", Role::Owner).await;
            let second_caller = caller(account, second, Role::Owner, "second@example.com");
            let spare = Address::email("spare@example.com").expect("valid");
            // Not as Owner: that takes the hand-over.
            assert_eq!(
                invite(&state, &second_caller, &spare, Role::Owner, &client())
                    .await
                    .map_err(|e| e.message_for("role")),
                Err(Some(Msg::OwnerOnlyByHandOver))
            );
            invite(&state, &second_caller, &spare, Role::Finance, &client())
                .await
                .expect("invited");
            let token = token_in(&last_message(&db, &spare).await);
            // The sender steps down: what they sent is withdrawn with their right to send it.
            change_role(&state, &owner, second, Role::Viewer, &client())
                .await
                .expect("demoted");
            assert_eq!(
                invitation(&state, &token, None).await,
                Err(AppError::Rejected(Msg::InvitationUsed))
            );
            // A demoted Owner's session still says Owner; the service reads the role again.
            assert_eq!(
                invite(&state, &second_caller, &spare, Role::Finance, &client()).await,
                Err(AppError::Forbidden(Msg::RoleMayNot))
            );
            assert_eq!(
                remove(&state, &second_caller, owner.user_id, &client()).await,
                Err(AppError::Forbidden(Msg::RoleMayNot))
            );
            // Texts go only to the configured countries, invitations too.
            let far = Address::phone("+2348012345678").expect("valid");
            assert!(invite(&state, &owner, &far, Role::Viewer, &client())
                .await
                .expect_err("refused")
                .message_for("address")
                .is_some());
        }
    );

    db_test!(
        owners_demoting_each_other_at_once_leave_one,
        |db| async move {
            let state = state_for(&db).await;
            let owner = demo_owner(&state).await;
            let account = owner.account_id;
            let mut owners = vec![owner.user_id];
            for i in 0..3 {
                owners.push(
                    add_member(
                        &state,
                        account,
                        &format!("owner{i}@example.com"),
                        Role::Owner,
                    )
                    .await,
                );
            }
            let tasks: Vec<_> = (0..200)
                .map(|i| {
                    let state = state.clone();
                    let (by, target) = (owners[i % 4], owners[(i + 1) % 4]);
                    tokio::spawn(async move {
                        let me = caller(account, by, Role::Owner, "owner");
                        change_role(&state, &me, target, Role::Viewer, &client()).await
                    })
                })
                .collect();
            let mut done = 0;
            for task in tasks {
                match task.await.expect("task") {
                    Ok(()) => done += 1,
                    // The last Owner stays; one demoted meanwhile may no longer demote.
                    Err(
                        AppError::Rejected(Msg::LastOwner) | AppError::Forbidden(Msg::RoleMayNot),
                    ) => {}
                    Err(other) => panic!("unexpected {other:?}"),
                }
            }
            let mut conn = db.pool().acquire().await.expect("conn");
            let left = store::count_with_role(&mut conn, account, Role::Owner)
                .await
                .expect("count");
            // Never none: whichever demotions win, the last Owner is kept (and a demoted Owner
            // demotes no one after).
            assert!(
                (1..4).contains(&left),
                "{left} Owners left after {done} changes"
            );
        }
    );

    db_test!(ownership_is_handed_over_with_a_code, |db| async move {
        let state = state_for(&db).await;
        let owner = demo_owner(&state).await;
        let account = owner.account_id;
        let heir = add_member(&state, account, "heir@example.com", Role::Finance).await;
        send_transfer_code(&state, &owner, &client())
            .await
            .expect("code sent");
        let own = Address::email(crate::demo::DEMO_EMAIL).expect("valid");
        let code = last_code(&db, &own).await;
        let wrong = if code == "000000" { "111111" } else { "000000" };
        assert!(
            transfer_ownership(&state, &owner, heir, Role::Viewer, wrong, &client())
                .await
                .is_err()
        );
        assert_eq!(role_of(&state, account, heir).await, Some(Role::Finance));
        let heir_caller = caller(account, heir, Role::Finance, "heir@example.com");
        assert_eq!(
            transfer_ownership(&state, &heir_caller, heir, Role::Viewer, &code, &client()).await,
            Err(AppError::Forbidden(Msg::RoleMayNot))
        );
        transfer_ownership(&state, &owner, heir, Role::Viewer, &code, &client())
            .await
            .expect("handed over");
        assert_eq!(role_of(&state, account, heir).await, Some(Role::Owner));
        assert_eq!(
            role_of(&state, account, owner.user_id).await,
            Some(Role::Viewer)
        );
        // The code is used up.
        let owner_now = caller(account, heir, Role::Owner, "heir@example.com");
        assert!(transfer_ownership(
            &state,
            &owner_now,
            owner.user_id,
            Role::Viewer,
            &code,
            &client()
        )
        .await
        .is_err());
        assert!(actions(&state, account)
            .await
            .contains(&AuditAction::OwnershipTransferred));
        // Sharing rather than handing over: the new Owner makes another and stays one.
        let partner = add_member(&state, account, "partner@example.com", Role::Viewer).await;
        send_transfer_code(&state, &owner_now, &client())
            .await
            .expect("code sent");
        let heir_address = Address::email("heir@example.com").expect("valid");
        let code = last_code(&db, &heir_address).await;
        transfer_ownership(&state, &owner_now, partner, Role::Owner, &code, &client())
            .await
            .expect("shared");
        assert_eq!(role_of(&state, account, partner).await, Some(Role::Owner));
        assert_eq!(role_of(&state, account, heir).await, Some(Role::Owner));
    });

    db_test!(
        a_user_in_two_accounts_acts_in_the_chosen_one,
        |db| async move {
            let state = state_for(&db).await;
            let demo = demo_owner(&state).await;
            let (own_account, user) = account_owned_by(&db, "Own Co.", "both@example.com").await;
            let mut tx = db.begin_write().await.expect("tx");
            store::insert_membership(&mut tx, demo.account_id, user, Role::Viewer, 1)
                .await
                .expect("member");
            tx.commit().await.expect("commit");
            let session = session_of(&state, user, Some(own_account)).await;
            let (stranger, _) = account_owned_by(&db, "Stranger Co.", "stranger@example.com").await;
            assert_eq!(
                switch(&state, &session, stranger).await,
                Err(AppError::NotFound)
            );
            switch(&state, &session, demo.account_id)
                .await
                .expect("switched");
            let token = sqlx::query("SELECT token_hash FROM sessions WHERE id = $1")
                .bind(session.session_id)
                .fetch_one(db.pool())
                .await
                .expect("row");
            use sqlx::Row;
            let hash: String = token.try_get("token_hash").expect("hash");
            let mut conn = db.pool().acquire().await.expect("conn");
            let live = crate::accounts::store::live_session(&mut conn, &hash, 0, 0)
                .await
                .expect("db")
                .expect("live");
            assert_eq!(live.account, Some((demo.account_id, "viewer".to_string())));
            let memberships = store::memberships(&mut conn, user).await.expect("list");
            assert_eq!(
                memberships.iter().map(|m| m.account_id).collect::<Vec<_>>(),
                vec![own_account, demo.account_id],
                "oldest membership first"
            );
            // Leaving the demo account, the browser goes on in the user's own one.
            let viewer = Caller::from_session(CallerSession::from(live)).expect("caller");
            remove(&state, &viewer, user, &client())
                .await
                .expect("left");
            let live = crate::accounts::store::live_session(&mut conn, &hash, 0, 0)
                .await
                .expect("db")
                .expect("live");
            assert_eq!(live.account, Some((own_account, "owner".to_string())));
        }
    );

    db_test!(
        money_and_profile_actions_are_in_the_audit_log,
        |db| async move {
            let state = state_for(&db).await;
            let owner = demo_owner(&state).await;
            let account = owner.account_id;
            let c = client();
            let actor = owner.audit(&c);
            let order = crate::funds::recharge::create_order(&state, &actor, "500")
                .await
                .expect("order");
            crate::funds::recharge::sandbox_settle(&state, account, &order, true)
                .await
                .expect("paid");
            crate::funds::instruments::buy_card(&state, &actor, "100", "audit-card")
                .await
                .expect("card");
            crate::accounts::service::update_profile(
                &state,
                &owner,
                crate::accounts::model::Profile {
                    company_name: "Audited Co.".to_string(),
                    ..Default::default()
                },
                &c,
            )
            .await
            .expect("profile");
            let logged = actions(&state, account).await;
            for action in [
                AuditAction::RechargeOrdered,
                AuditAction::RechargePaid,
                AuditAction::CardBought,
                AuditAction::ProfileUpdated,
            ] {
                assert!(logged.contains(&action), "{action:?} in {logged:?}");
            }
            // Filtered by person and action; a bad date is a field error.
            let page = audit::page(
                &db,
                &crate::time::Zone::utc(),
                account,
                &AuditQuery {
                    person: owner.user_id.to_string(),
                    action: "card_bought".to_string(),
                    ..Default::default()
                },
            )
            .await
            .expect("filtered");
            assert_eq!(page.rows.len(), 1);
            assert_eq!(page.rows[0].actor, crate::demo::DEMO_EMAIL);
            assert_eq!(page.rows[0].client_addr, "10.20.0.1");
            let bad = audit::page(
                &db,
                &crate::time::Zone::utc(),
                account,
                &AuditQuery {
                    from: "yesterday".to_string(),
                    ..Default::default()
                },
            )
            .await
            .expect_err("bad date");
            assert!(bad.message_for("from").is_some());
            // A Viewer is refused the profile.
            let viewer = caller(account, owner.user_id, Role::Viewer, "v");
            assert_eq!(
                crate::accounts::service::update_profile(&state, &viewer, Default::default(), &c)
                    .await,
                Err(AppError::Forbidden(Msg::RoleMayNot))
            );
        }
    );
}
