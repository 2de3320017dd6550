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
use crate::server::db::now_millis;
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

/// The Members page.
pub async fn team(state: &AppState, caller: &Caller) -> Result<Team, AppError> {
    let zone = &state.config.time_zone;
    let mut conn = state.db.pool().acquire().await?;
    let members = store::members(&mut conn, zone, caller.account_id, caller.user_id).await?;
    let invitations =
        store::pending_invitations(&mut conn, zone, caller.account_id, now_millis()).await?;
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
    let now = now_millis();
    let column = match address.channel() {
        Channel::Email => "email",
        Channel::Sms => "phone",
    };
    let mut tx = state.db.begin_write().await?;
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
    if let Some(user) = store::user_by_address(&mut tx, column, address.as_str()).await? {
        if store::role(&mut tx, caller.account_id, user)
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
    let now = now_millis();
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
    let column = if invitation.channel == "sms" {
        "phone"
    } else {
        "email"
    };
    Ok(store::user_by_address(conn, column, &invitation.address).await? == Some(user))
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
    if invitation.closed {
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
    let invitation = open_invitation(&mut conn, token, now_millis()).await?;
    let yours = match session {
        Some(session) => is_invitee(&mut conn, &invitation, session.user_id).await?,
        None => false,
    };
    let address = Address::parse(&invitation.address)
        .map(|a| a.masked())
        .unwrap_or_default();
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
        let address = Address::parse(&invitation.address)
            .map(|a| a.masked())
            .unwrap_or_default();
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
    let now = now_millis();
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
        let invitation = open_invitation(&mut conn, token, now_millis()).await?;
        let channel = if invitation.channel == "sms" {
            Channel::Sms
        } else {
            Channel::Email
        };
        Address::stored(channel, invitation.address)
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
    let now = now_millis();
    let mut tx = state.db.begin_write().await?;
    lock_members(&mut tx, caller.account_id).await?;
    let target = member(&mut tx, state, caller.account_id, user).await?;
    if target.role == role {
        return Ok(());
    }
    keep_an_owner(&mut tx, caller.account_id, target.role == Role::Owner).await?;
    store::set_role(&mut tx, caller.account_id, user, role).await?;
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
    let now = now_millis();
    let mut tx = state.db.begin_write().await?;
    lock_members(&mut tx, caller.account_id).await?;
    let target = member(&mut tx, state, caller.account_id, user).await?;
    keep_an_owner(&mut tx, caller.account_id, target.role == Role::Owner).await?;
    store::delete_membership(&mut tx, caller.account_id, user).await?;
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

/// Step 2: with the code, member `to` becomes an Owner and the caller takes `then` (a role that
/// is not Owner), in one transaction.
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
    if then == Role::Owner || to == caller.user_id {
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
            let target = member(tx, state, account, to).await?;
            if target.role == Role::Owner {
                return Err(AppError::field("to", Msg::TransferToOwnerAlready));
            }
            store::set_role(tx, account, to, Role::Owner).await?;
            store::set_role(tx, account, caller.user_id, then).await?;
            audit::record(
                tx,
                &actor,
                AuditAction::OwnershipTransferred,
                &format!(
                    "to {}; previous Owner is now {}",
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
    Ok(store::addresses_of(conn, account)
        .await?
        .into_iter()
        .filter(|(role, _, _)| role.receives_money_notices())
        .filter_map(|(_, email, phone)| {
            email
                .map(|e| Address::stored(Channel::Email, e))
                .or(phone.map(|p| Address::stored(Channel::Sms, p)))
        })
        .collect())
}
