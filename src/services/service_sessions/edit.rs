//! Editing a pending, closed session under the rules of logging.

use chrono::{DateTime, Utc};
use sea_orm::{ActiveModelTrait, ActiveValue::Set, ConnectionTrait, DatabaseConnection};

use super::{
    Edit,
    history::record_history,
    rules::{self, Context, Draft, draft_of},
};
use crate::{
    auth::Caller,
    db,
    domain::{account::Role, hours::quarter_hours, person::SessionStatus},
    entities::service_session,
    error::AppError,
    services::{audit::Entry, person_scope},
};

/// Writes a checked draft over the session, with its hours and a new version.
pub(super) async fn save_draft(
    txn: &impl ConnectionTrait,
    before: &service_session::Model,
    draft: &Draft<'_>,
    description: String,
    now: DateTime<Utc>,
) -> Result<service_session::Model, AppError> {
    let mut active: service_session::ActiveModel = before.clone().into();
    active.community_id = Set(draft.community_id);
    active.started_at = Set(draft.started_at);
    active.ended_at = Set(draft.ended_at);
    if let Some(end) = draft.ended_at {
        active.quarters = Set(quarter_hours(draft.started_at, end));
    }
    active.activity = Set(draft.activity.to_owned());
    active.participants = Set(draft.participants);
    active.description = Set(description);
    active.version = Set(before.version + 1);
    active.updated_at = Set(now);
    Ok(active.update(txn).await?)
}

/// Edits a pending, closed session: by its person or whoever logged it, under the rules of logging.
pub async fn edit(
    db: &DatabaseConnection,
    caller: &Caller,
    id: i32,
    edit: Edit,
) -> Result<service_session::Model, AppError> {
    let txn = db::begin_write(db).await?;
    let before = super::query::get(&txn, caller, id).await?;
    let owner = caller.person_id == Some(before.person_id)
        || (caller.account_id.is_some() && caller.account_id == before.created_by);
    caller.require(owner, "edit a session you did not log")?;
    person_scope::lock(&txn, before.person_id).await?;
    AppError::check_version(edit.expected_version, before.version)?;
    if before.status != SessionStatus::Pending || before.ended_at.is_none() {
        return Err(AppError::conflict(
            "status",
            "session.not_editable",
            "only pending, closed sessions are edited; correct an approved one",
        ));
    }
    let draft = Draft {
        community_id: edit.community_id.unwrap_or(before.community_id),
        started_at: edit.started_at.unwrap_or(before.started_at),
        ended_at: edit.ended_at.or(before.ended_at),
        activity: edit.activity.as_deref().unwrap_or(&before.activity),
        participants: edit.participants.unwrap_or(before.participants),
        description: edit.description.as_deref().unwrap_or(&before.description),
        ..draft_of(&before)
    };
    let context = Context {
        session_id: Some(id),
        member_lookback: caller.role == Role::Member,
        places_community: edit.community_id.is_some_and(|c| c != before.community_id),
    };
    let now = Utc::now();
    let description = rules::check(&txn, &draft, context, now).await?;
    let after = save_draft(&txn, &before, &draft, description, now).await?;
    record_history(&txn, caller, "edit", None, &before, &after).await?;
    Entry::new("update", "service_session", id)
        .before(&before)
        .after(&after)
        .record(&txn, caller)
        .await?;
    txn.commit().await?;
    Ok(after)
}
