//! Withdrawing a pending session (its person or whoever logged it) and revoking an approved one
//! (the bureau).

use chrono::Utc;
use sea_orm::{ActiveModelTrait, ActiveValue::Set, ConnectionTrait, DatabaseConnection};

use super::history::record_change;
use crate::{
    auth::Caller,
    db,
    domain::{account::Role, person::SessionStatus, text},
    entities::service_session,
    error::AppError,
};

/// Withdraws a pending session: by its person, or by whoever logged it.
pub async fn withdraw(
    db: &DatabaseConnection,
    caller: &Caller,
    id: i32,
) -> Result<service_session::Model, AppError> {
    let txn = db::begin_write(db).await?;
    let before = super::query::get(&txn, caller, id).await?;
    let owner = caller.person_id == Some(before.person_id)
        || (caller.account_id.is_some() && caller.account_id == before.created_by);
    caller.require(owner, "withdraw a session you did not log")?;
    if before.status != SessionStatus::Pending {
        return Err(AppError::conflict(
            "status",
            "session.not_pending",
            "only pending sessions can be withdrawn",
        ));
    }
    let after = transition(&txn, &before, SessionStatus::Withdrawn, None).await?;
    record_change(&txn, caller, "withdraw", None, &before, &after).await?;
    txn.commit().await?;
    Ok(after)
}

/// Revokes an approved session (bureau only), with a note.
pub async fn revoke(
    db: &DatabaseConnection,
    caller: &Caller,
    id: i32,
    note: &str,
) -> Result<service_session::Model, AppError> {
    let note = text::required_text("note", note, 1000).map_err(AppError::of)?;
    let note = note.as_str();
    let txn = db::begin_write(db).await?;
    let before = super::query::get(&txn, caller, id).await?;
    caller.require(caller.role == Role::BureauAdmin, "revoke sessions")?;
    if before.status != SessionStatus::Approved {
        return Err(AppError::conflict(
            "status",
            "session.not_approved",
            "only approved sessions can be revoked",
        ));
    }
    let after = transition(&txn, &before, SessionStatus::Revoked, Some(note)).await?;
    record_change(&txn, caller, "revoke", Some(note), &before, &after).await?;
    txn.commit().await?;
    Ok(after)
}

async fn transition(
    txn: &impl ConnectionTrait,
    before: &service_session::Model,
    status: SessionStatus,
    note: Option<&str>,
) -> Result<service_session::Model, AppError> {
    let mut active: service_session::ActiveModel = before.clone().into();
    active.status = Set(status);
    if let Some(note) = note {
        active.review_note = Set(Some(note.to_owned()));
    }
    active.version = Set(before.version + 1);
    active.updated_at = Set(Utc::now());
    Ok(active.update(txn).await?)
}
