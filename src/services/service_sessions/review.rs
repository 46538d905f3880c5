//! Review of pending sessions by the officer of the community's street or the bureau, and the
//! mails that tell the person.

use chrono::Utc;
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ConnectionTrait, DatabaseConnection, EntityTrait,
};

use super::{Decision, history::record_change};
use crate::{
    auth::{Caller, Target},
    db,
    domain::{account::Role, hours::hours, person::SessionStatus, text},
    entities::{community, service_session},
    error::AppError,
    mail::{self, Mail},
    services::person_scope,
};

/// Approves or rejects a pending session: by the officer of the community's street or the bureau,
/// never by the session's own person; a rejection needs a note. The person is told by mail.
pub async fn review(
    db: &DatabaseConnection,
    caller: &Caller,
    id: i32,
    decision: Decision,
    note: Option<&str>,
) -> Result<service_session::Model, AppError> {
    let note = note
        .map(|n| text::text("note", n, 1000))
        .transpose()
        .map_err(AppError::of)?
        .filter(|n| !n.is_empty());
    if decision == Decision::Reject && note.is_none() {
        return Err(AppError::invalid(
            "note",
            "review.note_required",
            "is required to reject a session",
        ));
    }
    let note = note.as_deref();
    let txn = db::begin_write(db).await?;
    let before = super::query::get(&txn, caller, id).await?;
    ensure_reviewer(&txn, caller, &before).await?;
    if before.ended_at.is_none() {
        return Err(AppError::conflict(
            "ended_at",
            "session.open",
            "the session is still open: check out first",
        ));
    }
    if before.status != SessionStatus::Pending {
        return Err(AppError::conflict(
            "status",
            "session.not_pending",
            format!(
                "only pending sessions are reviewed; this one is {:?}",
                before.status
            )
            .to_lowercase(),
        ));
    }
    let now = Utc::now();
    let mut active: service_session::ActiveModel = before.clone().into();
    active.status = Set(match decision {
        Decision::Approve => SessionStatus::Approved,
        Decision::Reject => SessionStatus::Rejected,
    });
    active.reviewed_by = Set(caller.account_id);
    active.reviewed_at = Set(Some(now));
    active.review_note = Set(note.map(str::to_owned));
    active.version = Set(before.version + 1);
    active.updated_at = Set(now);
    let after = active.update(&txn).await?;
    let action = if decision == Decision::Approve {
        "approve"
    } else {
        "reject"
    };
    record_change(&txn, caller, action, note, &before, &after).await?;
    notify(&txn, &after, News::Reviewed).await?;
    txn.commit().await?;
    Ok(after)
}

/// Reviews several sessions, each by the single-review rules and in its own transaction; the
/// answer holds each id's outcome. A failure of the server's own (5xx) is logged with the id, so
/// it is not lost among the refusals.
pub async fn review_many(
    db: &DatabaseConnection,
    caller: &Caller,
    ids: &[i32],
    decision: Decision,
    note: Option<&str>,
) -> Vec<(i32, Result<service_session::Model, AppError>)> {
    let mut outcomes = Vec::with_capacity(ids.len());
    for &id in ids {
        let outcome = review(db, caller, id, decision, note).await;
        if let Err(err) = &outcome
            && err.status().is_server_error()
        {
            tracing::error!(session_id = id, error = %err, "bulk review of one session failed");
        }
        outcomes.push((id, outcome));
    }
    outcomes
}

/// Reviewers are the officers of the session's street and the bureau, never the session's person.
pub(super) async fn ensure_reviewer(
    txn: &impl ConnectionTrait,
    caller: &Caller,
    session: &service_session::Model,
) -> Result<(), AppError> {
    let street_id = community::Entity::find_by_id(session.community_id)
        .one(txn)
        .await?
        .map(|c| c.street_id);
    caller.require(
        caller.role != Role::Member
            && street_id.is_some_and(|s| caller.can_write(Target::Street(s))),
        "review sessions of this community",
    )?;
    if caller.person_id == Some(session.person_id) {
        return Err(AppError::Forbidden(
            "nobody reviews sessions of their own person".into(),
        ));
    }
    Ok(())
}

/// What the person is told about one of their sessions.
#[derive(Debug, Clone, Copy)]
pub(super) enum News {
    /// The session was approved or rejected.
    Reviewed,
    /// An accepted correction changed it.
    Corrected,
}

/// Mails the person news of a session, when the person has an address.
pub(super) async fn notify(
    txn: &impl ConnectionTrait,
    session: &service_session::Model,
    news: News,
) -> Result<(), AppError> {
    let person = person_scope::find(txn, session.person_id).await?;
    let Some(email) = person.email.as_deref() else {
        return Ok(());
    };
    let community = community::Entity::find_by_id(session.community_id)
        .one(txn)
        .await?
        .map(|c| c.name)
        .unwrap_or_default();
    let (name, started_at) = (person.name.as_str(), session.started_at);
    let hours = hours(i64::from(session.quarters));
    let mail = match news {
        News::Reviewed => Mail::SessionReviewed {
            name,
            community: &community,
            started_at,
            hours,
            approved: session.status == SessionStatus::Approved,
            note: session.review_note.as_deref(),
        },
        News::Corrected => Mail::SessionCorrected {
            name,
            community: &community,
            started_at,
            hours,
        },
    };
    mail::enqueue(txn, email, &mail).await
}
