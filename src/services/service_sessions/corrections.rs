//! Corrections of approved sessions (the regulation's right to have a record fixed), decided by the
//! session's reviewer or the bureau.

use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter,
    QueryOrder, QuerySelect, QueryTrait,
};
use serde_json::{Map, Value, json};

use super::{
    Correction,
    history::record_change,
    review,
    rules::{self, Context, Draft, draft_of},
};
use crate::{
    auth::{Caller, Target},
    db,
    domain::{account::Role, person::SessionStatus, text},
    entities::{community, service_session, session_correction},
    error::AppError,
    services::audit::Entry,
};

/// The corrections waiting for a decision on sessions the caller reviews (an officer: those held
/// in its street's communities), oldest first, each with its session.
pub async fn pending_corrections(
    db: &DatabaseConnection,
    caller: &Caller,
    limit: u64,
) -> Result<Vec<(session_correction::Model, service_session::Model)>, AppError> {
    let mut sessions = service_session::Entity::find()
        .select_only()
        .column(service_session::Column::Id)
        .filter(crate::services::list_scope::held(
            caller,
            service_session::Column::PersonId,
            service_session::Column::CommunityId,
        ));
    if caller.role == Role::StreetOfficer
        && let Some(street_id) = caller.street_id
    {
        sessions = sessions.filter(crate::services::list_scope::in_street(
            service_session::Column::CommunityId,
            street_id,
        ));
    }
    let pending = session_correction::Entity::find()
        .filter(session_correction::Column::Status.eq("pending"))
        .filter(session_correction::Column::SessionId.in_subquery(sessions.into_query()))
        .order_by_asc(session_correction::Column::Id)
        .limit(limit)
        .all(db)
        .await?;
    let ids: Vec<i32> = pending.iter().map(|c| c.session_id).collect();
    let mut by_id: std::collections::HashMap<i32, service_session::Model> =
        service_session::Entity::find()
            .filter(service_session::Column::Id.is_in(ids))
            .all(db)
            .await?
            .into_iter()
            .map(|s| (s.id, s))
            .collect();
    Ok(pending
        .into_iter()
        .filter_map(|c| by_id.remove(&c.session_id).map(|s| (c, s)))
        .collect())
}

/// Files a correction of an approved session: by its person, or an officer of its street, or the
/// bureau.
/// The corrections asked for a session the caller may read, newest first.
pub async fn corrections_of(
    db: &DatabaseConnection,
    caller: &Caller,
    session_id: i32,
) -> Result<Vec<session_correction::Model>, AppError> {
    super::query::get(db, caller, session_id).await?;
    Ok(session_correction::Entity::find()
        .filter(session_correction::Column::SessionId.eq(session_id))
        .order_by_desc(session_correction::Column::Id)
        .all(db)
        .await?)
}

pub async fn request_correction(
    db: &DatabaseConnection,
    caller: &Caller,
    session_id: i32,
    correction: Correction,
) -> Result<session_correction::Model, AppError> {
    let reason = text::required_text("reason", &correction.reason, 1000).map_err(AppError::of)?;
    let txn = db::begin_write(db).await?;
    let session = super::query::get(&txn, caller, session_id).await?;
    let street_id = community::Entity::find_by_id(session.community_id)
        .one(&txn)
        .await?
        .map(|c| c.street_id);
    let allowed = caller.person_id == Some(session.person_id)
        || street_id
            .is_some_and(|s| caller.role != Role::Member && caller.can_write(Target::Street(s)));
    caller.require(allowed, "correct this session")?;
    if session.status != SessionStatus::Approved {
        return Err(AppError::conflict(
            "status",
            "session.not_approved",
            "only approved sessions are corrected; edit or withdraw a pending one",
        ));
    }
    let changes = changes_of(&correction);
    if changes.is_empty() {
        return Err(AppError::invalid(
            "body",
            "correction.empty",
            "name at least one field to correct",
        ));
    }
    rules::check(
        &txn,
        &corrected(&session, &correction),
        correction_context(&session),
        Utc::now(),
    )
    .await?;
    let pending = session_correction::Entity::find()
        .filter(session_correction::Column::SessionId.eq(session_id))
        .filter(session_correction::Column::Status.eq("pending"))
        .one(&txn)
        .await?;
    if pending.is_some() {
        return Err(AppError::conflict(
            "session",
            "correction.pending_exists",
            "a correction of this session waits for review already",
        ));
    }
    let created = session_correction::ActiveModel {
        session_id: Set(session_id),
        requested_by: Set(caller.account_id),
        reason: Set(reason),
        changes: Set(Value::Object(changes).to_string()),
        status: Set("pending".to_owned()),
        created_at: Set(Utc::now()),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    Entry::new("request_correction", "service_session", session_id)
        .after(&created)
        .record(&txn, caller)
        .await?;
    txn.commit().await?;
    Ok(created)
}

fn changes_of(c: &Correction) -> Map<String, Value> {
    let mut changes = Map::new();
    if let Some(v) = c.started_at {
        changes.insert("started_at".into(), json!(v));
    }
    if let Some(v) = c.ended_at {
        changes.insert("ended_at".into(), json!(v));
    }
    if let Some(v) = &c.activity {
        changes.insert("activity".into(), json!(v));
    }
    if let Some(v) = c.participants {
        changes.insert("participants".into(), json!(v));
    }
    if let Some(v) = &c.description {
        changes.insert("description".into(), json!(v.trim()));
    }
    changes
}

/// The session as a correction would leave it.
fn corrected<'a>(session: &'a service_session::Model, c: &'a Correction) -> Draft<'a> {
    Draft {
        started_at: c.started_at.unwrap_or(session.started_at),
        ended_at: c.ended_at.or(session.ended_at),
        activity: c.activity.as_deref().unwrap_or(&session.activity),
        participants: c.participants.unwrap_or(session.participants),
        description: c.description.as_deref().unwrap_or(&session.description),
        ..draft_of(session)
    }
}

/// A correction fixes a record however old, in the community it was held in.
fn correction_context(session: &service_session::Model) -> Context {
    Context {
        session_id: Some(session.id),
        member_lookback: false,
        places_community: false,
    }
}

/// A correction's stored changes, read back.
fn correction_of(changes: &str) -> Correction {
    let changes: Map<String, Value> = serde_json::from_str(changes).unwrap_or_default();
    let time = |key: &str| {
        changes
            .get(key)
            .and_then(|v| serde_json::from_value::<DateTime<Utc>>(v.clone()).ok())
    };
    let string = |key: &str| changes.get(key).and_then(Value::as_str).map(str::to_owned);
    Correction {
        started_at: time("started_at"),
        ended_at: time("ended_at"),
        activity: string("activity"),
        participants: changes
            .get("participants")
            .and_then(Value::as_i64)
            .and_then(|p| i32::try_from(p).ok()),
        description: string("description"),
        reason: String::new(),
    }
}

/// Accepts or rejects a correction: by the officer of the session's street or the bureau, never by
/// the session's person. Accepting changes the session, keeps the old values in its history and
/// tells the person by mail; rejecting needs a note.
pub async fn review_correction(
    db: &DatabaseConnection,
    caller: &Caller,
    correction_id: i32,
    accept: bool,
    note: Option<&str>,
) -> Result<session_correction::Model, AppError> {
    let note = note
        .map(|n| text::text("note", n, 1000))
        .transpose()
        .map_err(AppError::of)?
        .filter(|n| !n.is_empty());
    if !accept && note.is_none() {
        return Err(AppError::invalid(
            "note",
            "review.note_required",
            "is required to reject a correction",
        ));
    }
    let txn = db::begin_write(db).await?;
    let correction = session_correction::Entity::find_by_id(correction_id)
        .one(&txn)
        .await?
        .ok_or_else(|| AppError::not_found("correction", correction_id))?;
    let session = super::query::get(&txn, caller, correction.session_id)
        .await
        .map_err(|_| AppError::not_found("correction", correction_id))?;
    super::review::ensure_reviewer(&txn, caller, &session).await?;
    // "The reviewer of that session accepts or rejects it": the account that approved the
    // session, or the bureau (which stands in when that reviewer is gone).
    caller.require(
        caller.role == Role::BureauAdmin
            || (caller.account_id.is_some() && caller.account_id == session.reviewed_by),
        "decide a correction of a session you did not review",
    )?;
    if correction.status != "pending" {
        return Err(AppError::conflict(
            "status",
            "correction.reviewed",
            "the correction has been reviewed already",
        ));
    }
    let now = Utc::now();
    let mut reviewed: session_correction::ActiveModel = correction.clone().into();
    reviewed.status = Set(if accept { "accepted" } else { "rejected" }.to_owned());
    reviewed.reviewed_by = Set(caller.account_id);
    reviewed.reviewed_at = Set(Some(now));
    reviewed.review_note = Set(note);
    let reviewed = reviewed.update(&txn).await?;
    if accept {
        if session.status != SessionStatus::Approved {
            return Err(AppError::conflict(
                "status",
                "session.not_approved",
                "the session is no longer approved; the correction cannot be applied",
            ));
        }
        let changes = correction_of(&correction.changes);
        let draft = corrected(&session, &changes);
        let description = rules::check(&txn, &draft, correction_context(&session), now).await?;
        let after = super::edit::save_draft(&txn, &session, &draft, description, now).await?;
        record_change(
            &txn,
            caller,
            "correct",
            Some(&correction.reason),
            &session,
            &after,
        )
        .await?;
        review::notify(&txn, &after, review::News::Corrected).await?;
    }
    Entry::new(
        if accept {
            "accept_correction"
        } else {
            "reject_correction"
        },
        "session_correction",
        correction_id,
    )
    .after(&reviewed)
    .record(&txn, caller)
    .await?;
    txn.commit().await?;
    Ok(reviewed)
}
