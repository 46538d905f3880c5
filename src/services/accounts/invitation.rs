//! Sending an invitation again: a fresh one-time activation link for an account that still waits
//! for its first password, replacing the earlier link (lost, expired, or sent to a full inbox).

use sea_orm::{DatabaseConnection, EntityTrait};

use crate::{
    auth::{Caller, Target},
    db,
    entities::account,
    error::AppError,
    services::{account_tokens, audit::Entry},
};

/// Mails a new activation link to an account without a password. Whoever may change the
/// account may ask (an officer: the member accounts of its street); an activated or disabled
/// account, or one without an address, is refused and nothing is sent.
pub async fn resend_invitation(
    db: &DatabaseConnection,
    caller: &Caller,
    account_id: i32,
    public_url: &str,
) -> Result<account::Model, AppError> {
    let txn = db::begin_write(db).await?;
    let found = account::Entity::find_by_id(account_id)
        .one(&txn)
        .await?
        .ok_or_else(|| AppError::not_found("account", account_id))?;
    caller.authorize_write(Target::Account(&found), "account", account_id)?;
    if found.password_hash.is_some() {
        return Err(AppError::conflict(
            "account",
            "account.already_active",
            "the account is activated already: its owner signs in, or asks for a password reset",
        ));
    }
    if found.disabled {
        return Err(AppError::conflict(
            "account",
            "account.disabled",
            "the account is disabled: enable it before inviting again",
        ));
    }
    if found.email.is_none() {
        return Err(AppError::invalid(
            "email",
            "account.email_required",
            "the account has no address to send the invitation to",
        ));
    }
    // The new link replaces any unused earlier one, so only the latest mail works.
    account_tokens::invite(&txn, &found, public_url).await?;
    Entry::new("resend_invitation", "account", account_id)
        .record(&txn, caller)
        .await?;
    txn.commit().await?;
    Ok(found)
}
