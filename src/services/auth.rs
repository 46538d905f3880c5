//! Logging in and out (by the API or the web UI), recognising a bearer token or a session cookie, changing a password, and the bootstrap admin.

use chrono::{DateTime, TimeDelta, Utc};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, DatabaseConnection, EntityTrait,
    PaginatorTrait, QueryFilter, QueryOrder, QuerySelect,
};

use super::audit::Entry;
use crate::{
    auth::{Caller, PasswordHasher, token},
    db,
    domain::account::{Role, Username, check_new_password},
    entities::{account, login_failure, session},
    error::AppError,
};

/// Failed logins for one username within [`LOCKOUT_WINDOW`] that lock it.
pub const MAX_FAILURES: u64 = 5;
/// How far back failures count, and how long a lock lasts.
pub const LOCKOUT_WINDOW: TimeDelta = TimeDelta::minutes(15);

/// The door a session opens: the JSON API's bearer token or the web UI's cookie. A token opens
/// only its own door, so the API never accepts a cookie and needs no defence against forgery.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Channel {
    Api,
    Web,
}

impl Channel {
    pub fn as_str(self) -> &'static str {
        match self {
            Channel::Api => "api",
            Channel::Web => "web",
        }
    }
}

/// A fresh login session.
pub struct Login {
    pub token: String,
    pub expires_at: DateTime<Utc>,
    pub account: account::Model,
    /// The secret the web session's forms carry; `None` for the API.
    pub csrf_secret: Option<String>,
}

/// Checks a username and password. Unknown users, wrong passwords, disabled and not yet activated
/// accounts all get the same 401 after the same amount of hashing work.
pub async fn login(
    db: &DatabaseConnection,
    hasher: &PasswordHasher,
    username: &str,
    password: &str,
    channel: Channel,
    ttl: std::time::Duration,
    request_id: Option<String>,
) -> Result<Login, AppError> {
    // A name that cannot exist still goes through the same steps.
    let name = Username::parse(username)
        .map(Username::into_inner)
        .unwrap_or_else(|_| username.trim().to_lowercase());
    let now = Utc::now();
    if let Some(retry_after_secs) = locked_for(db, &name, now).await? {
        return Err(AppError::TooManyRequests { retry_after_secs });
    }
    let found = account::Entity::find()
        .filter(account::Column::Username.eq(name.as_str()))
        .one(db)
        .await?;
    let stored_hash = found.as_ref().and_then(|a| a.password_hash.as_deref());
    let password_ok = hasher.verify(password, stored_hash).await?;
    let account = match found {
        Some(account) if password_ok && !account.disabled => account,
        _ => {
            let txn = db::begin_write(db).await?;
            login_failure::Entity::insert(login_failure::ActiveModel {
                username: Set(name.chars().take(64).collect()),
                at: Set(now),
                ..Default::default()
            })
            .exec(&txn)
            .await?;
            txn.commit().await?;
            return Err(AppError::Unauthorized);
        }
    };

    open_session(db, account, channel, ttl, request_id).await
}

/// Opens a session of an account that has just proved who it is (by its password, or by setting
/// one from a mail link): a new token, its failed logins forgotten, `last_login_at` set.
pub async fn open_session(
    db: &DatabaseConnection,
    account: account::Model,
    channel: Channel,
    ttl: std::time::Duration,
    request_id: Option<String>,
) -> Result<Login, AppError> {
    let now = Utc::now();
    let token = token::new_token();
    let ttl =
        TimeDelta::from_std(ttl).map_err(|e| AppError::Internal(format!("token TTL: {e}")))?;
    let expires_at = now + ttl;
    let txn = db::begin_write(db).await?;
    login_failure::Entity::delete_many()
        .filter(login_failure::Column::Username.eq(account.username.as_str()))
        .exec(&txn)
        .await?;
    session::Entity::delete_many()
        .filter(session::Column::AccountId.eq(account.id))
        .filter(session::Column::ExpiresAt.lte(now))
        .exec(&txn)
        .await?;
    let csrf_secret = (channel == Channel::Web).then(token::new_token);
    let created = session::Entity::insert(session::ActiveModel {
        account_id: Set(account.id),
        token_hash: Set(token::hash_token(&token)),
        created_at: Set(now),
        expires_at: Set(expires_at),
        channel: Set(channel.as_str().to_owned()),
        csrf_secret: Set(csrf_secret.clone()),
        ..Default::default()
    })
    .exec(&txn)
    .await?;
    let mut seen: account::ActiveModel = account.clone().into();
    seen.last_login_at = Set(Some(now));
    let account = seen.update(&txn).await?;
    let caller = caller_of(&account, Some(created.last_insert_id), request_id);
    Entry::new("login", "account", account.id)
        .record(&txn, &caller)
        .await?;
    txn.commit().await?;
    Ok(Login {
        token,
        expires_at,
        account,
        csrf_secret,
    })
}

/// Seconds until `username` may try again, when locked: a failure that makes five within
/// [`LOCKOUT_WINDOW`] locks the name for [`LOCKOUT_WINDOW`] from that failure. Attempts while
/// locked are not recorded, so they neither extend the lock nor count later.
async fn locked_for(
    db: &DatabaseConnection,
    username: &str,
    now: DateTime<Utc>,
) -> Result<Option<u64>, AppError> {
    let recent: Vec<DateTime<Utc>> = login_failure::Entity::find()
        .select_only()
        .column(login_failure::Column::At)
        .filter(login_failure::Column::Username.eq(username))
        .filter(login_failure::Column::At.gt(now - LOCKOUT_WINDOW * 2))
        .order_by_desc(login_failure::Column::At)
        .limit(MAX_FAILURES)
        .into_tuple()
        .all(db)
        .await?;
    Ok(lock_remaining(&recent, now))
}

/// The lock left by the latest failures (newest first), in whole seconds rounded up.
fn lock_remaining(newest_first: &[DateTime<Utc>], now: DateTime<Utc>) -> Option<u64> {
    if (newest_first.len() as u64) < MAX_FAILURES {
        return None;
    }
    let (trigger, fifth) = (newest_first[0], newest_first[MAX_FAILURES as usize - 1]);
    if trigger - fifth > LOCKOUT_WINDOW {
        return None;
    }
    let lifts = trigger + LOCKOUT_WINDOW;
    (lifts > now).then(|| {
        let millis = (lifts - now).num_milliseconds().max(1) as u64;
        millis.div_ceil(1000)
    })
}

/// The caller a bearer token stands for, if the token is known, unexpired and its account enabled.
pub async fn authenticate(
    db: &DatabaseConnection,
    token: &str,
    request_id: Option<String>,
) -> Result<Caller, AppError> {
    session_of(db, token, Channel::Api, request_id)
        .await
        .map(|found| found.caller)
}

/// The caller a bearer token stands for and its account, as read with the session in one query:
/// what `/auth/me` answers with, without reading the account again.
pub async fn authenticate_account(
    db: &DatabaseConnection,
    token: &str,
    request_id: Option<String>,
) -> Result<(Caller, account::Model), AppError> {
    session_of(db, token, Channel::Api, request_id)
        .await
        .map(|found| (found.caller, found.account))
}

/// The caller a web session cookie stands for, with the session's form secret and the account;
/// the same rules as a bearer token.
pub async fn authenticate_web(
    db: &DatabaseConnection,
    token: &str,
    request_id: Option<String>,
) -> Result<(Caller, String, account::Model), AppError> {
    session_of(db, token, Channel::Web, request_id)
        .await
        .map(|found| (found.caller, found.csrf, found.account))
}

/// A live session: its caller, its form secret and its account.
struct Found {
    caller: Caller,
    csrf: String,
    account: account::Model,
}

async fn session_of(
    db: &DatabaseConnection,
    token: &str,
    channel: Channel,
    request_id: Option<String>,
) -> Result<Found, AppError> {
    let found = session::Entity::find()
        .filter(session::Column::TokenHash.eq(token::hash_token(token)))
        .filter(session::Column::Channel.eq(channel.as_str()))
        .filter(session::Column::ExpiresAt.gt(Utc::now()))
        .find_also_related(account::Entity)
        .one(db)
        .await?;
    match found {
        Some((session, Some(account))) if !account.disabled => Ok(Found {
            caller: caller_of(&account, Some(session.id), request_id),
            csrf: session.csrf_secret.unwrap_or_default(),
            account,
        }),
        _ => Err(AppError::Unauthorized),
    }
}

fn caller_of(
    account: &account::Model,
    session_id: Option<i32>,
    request_id: Option<String>,
) -> Caller {
    Caller {
        account_id: Some(account.id),
        role: account.role,
        street_id: account.street_id,
        person_id: account.person_id,
        session_id,
        request_id,
    }
}

/// Ends the caller's session at once.
pub async fn logout(db: &DatabaseConnection, caller: &Caller) -> Result<(), AppError> {
    let (Some(session_id), Some(account_id)) = (caller.session_id, caller.account_id) else {
        return Err(AppError::Unauthorized);
    };
    let txn = db::begin_write(db).await?;
    session::Entity::delete_by_id(session_id).exec(&txn).await?;
    Entry::new("logout", "account", account_id)
        .record(&txn, caller)
        .await?;
    txn.commit().await?;
    Ok(())
}

/// The caller's own account.
async fn me(db: &DatabaseConnection, caller: &Caller) -> Result<account::Model, AppError> {
    let id = caller.account_id.ok_or(AppError::Unauthorized)?;
    account::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or(AppError::Unauthorized)
}

/// Changes the caller's password; every other session of the account ends.
pub async fn change_password(
    db: &DatabaseConnection,
    hasher: &PasswordHasher,
    caller: &Caller,
    current_password: &str,
    new_password: &str,
) -> Result<(), AppError> {
    let account = me(db, caller).await?;
    if !hasher
        .verify(current_password, account.password_hash.as_deref())
        .await?
    {
        return Err(AppError::invalid(
            "current_password",
            "password.wrong",
            "is not the account's password",
        ));
    }
    check_new_password("new_password", new_password, &account.username)
        .map_err(|v| AppError::violations(vec![v]))?;
    let hash = hasher.hash(new_password).await?;
    let txn = db::begin_write(db).await?;
    let mut others =
        session::Entity::delete_many().filter(session::Column::AccountId.eq(account.id));
    if let Some(current) = caller.session_id {
        others = others.filter(session::Column::Id.ne(current));
    }
    others.exec(&txn).await?;
    let now = Utc::now();
    let mut changed: account::ActiveModel = account.clone().into();
    changed.password_hash = Set(Some(hash));
    changed.password_changed_at = Set(Some(now));
    changed.updated_at = Set(now);
    changed.version = Set(account.version + 1);
    let after = changed.update(&txn).await?;
    Entry::new("change_password", "account", account.id)
        .before(&account)
        .after(&after)
        .record(&txn, caller)
        .await?;
    txn.commit().await?;
    Ok(())
}

/// What [`bootstrap_admin`] did.
pub enum Bootstrap {
    /// Accounts exist already; nothing was done.
    NotNeeded,
    /// `admin` was created with the configured password.
    Created,
    /// `admin` was created with this generated password, to be shown once.
    CreatedWithGeneratedPassword(String),
}

/// Creates the bootstrap `admin` (role `bureau_admin`) when no account exists yet.
pub async fn bootstrap_admin(
    db: &DatabaseConnection,
    hasher: &PasswordHasher,
    configured_password: Option<&str>,
) -> anyhow::Result<Bootstrap> {
    if account::Entity::find().count(db).await? > 0 {
        return Ok(Bootstrap::NotNeeded);
    }
    let (password, generated) = match configured_password {
        Some(password) => {
            check_new_password("FITREG_ADMIN_PASSWORD", password, "admin")
                .map_err(|v| anyhow::anyhow!("{}: {}", v.field, v.message))?;
            (password.to_owned(), false)
        }
        None => (generate_password(), true),
    };
    let hash = hasher
        .hash(&password)
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    let now = Utc::now();
    let txn = db::begin_write(db).await?;
    let admin = account::ActiveModel {
        username: Set("admin".into()),
        role: Set(Role::BureauAdmin),
        password_hash: Set(Some(hash)),
        disabled: Set(false),
        password_changed_at: Set(Some(now)),
        version: Set(1),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    Entry::new("bootstrap", "account", admin.id)
        .after(&admin)
        .record(&txn, &Caller::system())
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    txn.commit().await?;
    Ok(if generated {
        Bootstrap::CreatedWithGeneratedPassword(password)
    } else {
        Bootstrap::Created
    })
}

/// A random 20-character password of letters and digits (about 119 bits).
pub fn generate_password() -> String {
    use rand::{Rng, distr::Alphanumeric};
    rand::rng()
        .sample_iter(&Alphanumeric)
        .take(20)
        .map(char::from)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(minutes: i64, seconds: i64) -> DateTime<Utc> {
        DateTime::<Utc>::UNIX_EPOCH + TimeDelta::minutes(minutes) + TimeDelta::seconds(seconds)
    }

    #[test]
    fn the_lock_lasts_fifteen_minutes_from_the_fifth_failure() {
        // Four failures at minute 0, the fifth at minute 10: locked until minute 25.
        let failures = [at(10, 0), at(0, 3), at(0, 2), at(0, 1), at(0, 0)];
        assert_eq!(lock_remaining(&failures, at(10, 0)), Some(900));
        assert_eq!(lock_remaining(&failures, at(20, 0)), Some(300));
        assert_eq!(lock_remaining(&failures, at(24, 59)), Some(1));
        assert_eq!(lock_remaining(&failures, at(25, 0)), None);
    }

    #[test]
    fn five_failures_spread_over_more_than_fifteen_minutes_do_not_lock() {
        let failures = [at(16, 0), at(3, 0), at(2, 0), at(1, 0), at(0, 0)];
        assert_eq!(lock_remaining(&failures, at(16, 0)), None);
        assert_eq!(lock_remaining(&failures[..4], at(3, 0)), None);
    }
}
