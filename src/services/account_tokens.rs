//! One-time account tokens: invitations to activate an account and password resets. The mail
//! carries the token; the database keeps only its SHA-256, and a token works once.

use chrono::{TimeDelta, Utc};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseConnection,
    EntityTrait, ExprTrait, QueryFilter, sea_query::Expr,
};

use super::{audit::Entry, throttle};
use crate::{
    auth::{Caller, PasswordHasher, token},
    db,
    domain::account::{Email, TokenPurpose, check_new_password},
    entities::{account, account_token, login_failure, session},
    error::AppError,
    mail::{self, Mail},
};

/// How long an invitation link works.
pub const INVITATION_TTL: TimeDelta = TimeDelta::days(7);
/// How long a password-reset link works.
pub const RESET_TTL: TimeDelta = TimeDelta::hours(1);

/// Issues an activation token for a new account without a password and queues its invitation,
/// inside the transaction that creates the account.
pub async fn invite(
    txn: &impl ConnectionTrait,
    account: &account::Model,
    public_url: &str,
) -> Result<(), AppError> {
    let recipient = account.email.as_deref().ok_or_else(|| {
        AppError::invalid(
            "email",
            "account.email_required",
            "is required to invite an account created without a password",
        )
    })?;
    let (token, expires_at) =
        issue(txn, account.id, TokenPurpose::Activation, INVITATION_TTL).await?;
    let link = mail::link(public_url, "/activate", &token);
    mail::enqueue(
        txn,
        recipient,
        &Mail::Invitation {
            username: &account.username,
            role: account.role,
            link,
            expires_at,
        },
    )
    .await
}

async fn issue(
    txn: &impl ConnectionTrait,
    account_id: i32,
    purpose: TokenPurpose,
    ttl: TimeDelta,
) -> Result<(String, chrono::DateTime<Utc>), AppError> {
    let now = Utc::now();
    // A new link replaces any earlier one of the same purpose.
    account_token::Entity::delete_many()
        .filter(account_token::Column::AccountId.eq(account_id))
        .filter(account_token::Column::Purpose.eq(purpose))
        .filter(account_token::Column::UsedAt.is_null())
        .exec(txn)
        .await?;
    let token = token::new_token();
    let expires_at = now + ttl;
    account_token::Entity::insert(account_token::ActiveModel {
        account_id: Set(account_id),
        purpose: Set(purpose),
        token_hash: Set(token::hash_token(&token)),
        created_at: Set(now),
        expires_at: Set(expires_at),
        used_at: Set(None),
        ..Default::default()
    })
    .exec(txn)
    .await?;
    Ok((token, expires_at))
}

/// Marks a token used and returns its account; a token that is unknown, used, expired, of
/// another purpose, or whose account is disabled is refused the same way.
async fn consume(
    txn: &impl ConnectionTrait,
    raw_token: &str,
    purpose: TokenPurpose,
) -> Result<account::Model, AppError> {
    let refused = || {
        AppError::invalid(
            "token",
            "token.invalid",
            "is invalid, already used or expired",
        )
    };
    let now = Utc::now();
    let found = account_token::Entity::find()
        .filter(account_token::Column::TokenHash.eq(token::hash_token(raw_token)))
        .filter(account_token::Column::Purpose.eq(purpose))
        .filter(account_token::Column::UsedAt.is_null())
        .filter(account_token::Column::ExpiresAt.gt(now))
        .find_also_related(account::Entity)
        .one(txn)
        .await?;
    let Some((row, Some(account))) = found else {
        return Err(refused());
    };
    if account.disabled {
        return Err(refused());
    }
    // Only one request can flip `used_at`: a racing second use finds nothing to update.
    let claimed = account_token::Entity::update_many()
        .col_expr(account_token::Column::UsedAt, Expr::value(now))
        .filter(account_token::Column::Id.eq(row.id))
        .filter(account_token::Column::UsedAt.is_null())
        .exec(txn)
        .await?;
    if claimed.rows_affected != 1 {
        return Err(refused());
    }
    Ok(account)
}

/// Sets the first password of an invited account.
pub async fn activate(
    db: &DatabaseConnection,
    hasher: &PasswordHasher,
    raw_token: &str,
    password: &str,
    request_id: Option<String>,
) -> Result<account::Model, AppError> {
    set_password_with_token(
        db,
        hasher,
        raw_token,
        password,
        TokenPurpose::Activation,
        "activate",
        request_id,
    )
    .await
}

/// Sets a new password from a reset link; every session of the account ends.
pub async fn confirm_reset(
    db: &DatabaseConnection,
    hasher: &PasswordHasher,
    raw_token: &str,
    password: &str,
    request_id: Option<String>,
) -> Result<account::Model, AppError> {
    set_password_with_token(
        db,
        hasher,
        raw_token,
        password,
        TokenPurpose::PasswordReset,
        "reset_password",
        request_id,
    )
    .await
}

async fn set_password_with_token(
    db: &DatabaseConnection,
    hasher: &PasswordHasher,
    raw_token: &str,
    password: &str,
    purpose: TokenPurpose,
    action: &str,
    request_id: Option<String>,
) -> Result<account::Model, AppError> {
    // Hash first, outside the write lock; the rules are checked against the account below.
    let hash = hasher.hash(password).await?;
    let txn = db::begin_write(db).await?;
    let account = consume(&txn, raw_token, purpose).await?;
    check_new_password("password", password, &account.username)
        .map_err(|v| AppError::violations(vec![v]))?;
    let now = Utc::now();
    let mut changed: account::ActiveModel = account.clone().into();
    changed.password_hash = Set(Some(hash));
    changed.password_changed_at = Set(Some(now));
    changed.updated_at = Set(now);
    changed.version = Set(account.version + 1);
    let after = changed.update(&txn).await?;
    session::Entity::delete_many()
        .filter(session::Column::AccountId.eq(account.id))
        .exec(&txn)
        .await?;
    login_failure::Entity::delete_many()
        .filter(login_failure::Column::Username.eq(account.username.as_str()))
        .exec(&txn)
        .await?;
    let caller = Caller {
        account_id: Some(account.id),
        request_id,
        ..Caller::system()
    };
    Entry::new(action, "account", account.id)
        .before(&account)
        .after(&after)
        .record(&txn, &caller)
        .await?;
    txn.commit().await?;
    Ok(after)
}

/// Mails a reset link when an enabled account has this address. The answer is the same either
/// way, so the endpoint does not tell who has an account. One client may ask
/// [`throttle::RESET_PER_CLIENT`] times (then 429), and one address receives at most
/// [`throttle::RESET_PER_ADDRESS`] mails (later requests are answered alike and send nothing),
/// whether or not an account has it.
pub async fn request_reset(
    db: &DatabaseConnection,
    raw_email: &str,
    client: Option<&str>,
    public_url: &str,
    request_id: Option<String>,
) -> Result<(), AppError> {
    let now = Utc::now();
    let txn = db::begin_write(db).await?;
    if let Some(client) = client {
        let key = format!("reset-client:{client}");
        if let Some(retry_after_secs) =
            throttle::attempt(&txn, &key, throttle::RESET_PER_CLIENT, now).await?
        {
            return Err(AppError::TooManyRequests { retry_after_secs });
        }
    }
    let Ok(email) = Email::parse(raw_email) else {
        txn.commit().await?;
        return Ok(());
    };
    let email = email.into_inner().to_lowercase();
    let address_key = throttle::hashed_key("reset-address", &email);
    if throttle::attempt(&txn, &address_key, throttle::RESET_PER_ADDRESS, now)
        .await?
        .is_some()
    {
        txn.commit().await?;
        return Ok(());
    }
    let found = account::Entity::find()
        .filter(
            Expr::expr(sea_orm::sea_query::Func::lower(Expr::col(
                account::Column::Email,
            )))
            .eq(email),
        )
        .filter(account::Column::Disabled.eq(false))
        .one(&txn)
        .await?;
    let Some(account) = found else {
        txn.commit().await?;
        return Ok(());
    };
    let recipient = account.email.clone().unwrap_or_default();
    let (token, expires_at) =
        issue(&txn, account.id, TokenPurpose::PasswordReset, RESET_TTL).await?;
    let link = mail::link(public_url, "/reset-password", &token);
    mail::enqueue(
        &txn,
        &recipient,
        &Mail::PasswordReset {
            username: &account.username,
            link,
            expires_at,
        },
    )
    .await?;
    let caller = Caller {
        account_id: None,
        request_id,
        ..Caller::system()
    };
    Entry::new("request_password_reset", "account", account.id)
        .record(&txn, &caller)
        .await?;
    txn.commit().await?;
    Ok(())
}
