//! What happens to a service session after it is logged, apart from its review: check-in and
//! check-out at the server's clock (closed at 12 hours and flagged when left open), corrections of
//! approved sessions accepted by their reviewer, and the history that keeps every change.

use crate::services::person_scope;
use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseConnection,
    EntityTrait, QueryFilter, QueryOrder,
};
use serde_json::{Map, Value, json};

use super::{
    audit::Entry,
    service_sessions,
    session_rules::{self, Context, Draft, MAX_DURATION},
};
use crate::{
    auth::{Caller, Target},
    db,
    domain::{
        account::Role,
        hours::quarter_hours,
        person::{SessionSource, SessionStatus},
        text,
    },
    entities::{community, service_session, session_correction, session_history},
    error::AppError,
};

/// Writes one history entry: the session before and after a change.
pub async fn record_history(
    txn: &impl ConnectionTrait,
    caller: &Caller,
    action: &str,
    reason: Option<&str>,
    before: &service_session::Model,
    after: &service_session::Model,
) -> Result<(), AppError> {
    let json = |m: &service_session::Model| serde_json::to_string(m).unwrap_or_default();
    session_history::Entity::insert(session_history::ActiveModel {
        session_id: Set(before.id),
        action: Set(action.to_owned()),
        changed_by: Set(caller.account_id),
        changed_at: Set(Utc::now()),
        reason: Set(reason.map(str::to_owned)),
        before: Set(json(before)),
        after: Set(json(after)),
        ..Default::default()
    })
    .exec(txn)
    .await?;
    Ok(())
}

/// The history of a session the caller may read, oldest first.
pub async fn history(
    db: &DatabaseConnection,
    caller: &Caller,
    id: i32,
) -> Result<Vec<session_history::Model>, AppError> {
    service_sessions::get(db, caller, id).await?;
    Ok(session_history::Entity::find()
        .filter(session_history::Column::SessionId.eq(id))
        .order_by_asc(session_history::Column::Id)
        .all(db)
        .await?)
}

/// Opens a session for the calling member at the server's clock.
pub async fn check_in(
    db: &DatabaseConnection,
    caller: &Caller,
    community_id: i32,
    activity: &str,
) -> Result<service_session::Model, AppError> {
    let person_id = match (caller.role, caller.person_id) {
        (Role::Member, Some(id)) => id,
        _ => {
            return Err(AppError::Forbidden(
                "only members check in, for themselves".into(),
            ));
        }
    };
    let txn = db::begin_write(db).await?;
    person_scope::lock(&txn, person_id).await?;
    let now = Utc::now();
    let draft = Draft {
        person_id,
        community_id,
        started_at: now,
        ended_at: None,
        activity,
        participants: 0,
        description: "",
    };
    let context = Context {
        session_id: None,
        member_lookback: true,
        places_community: true,
    };
    session_rules::check(&txn, &draft, context, now).await?;
    let created = service_session::ActiveModel {
        person_id: Set(person_id),
        community_id: Set(community_id),
        started_at: Set(now),
        ended_at: Set(None),
        activity: Set(activity.to_owned()),
        participants: Set(0),
        description: Set(String::new()),
        status: Set(SessionStatus::Pending),
        quarters: Set(0),
        source: Set(SessionSource::Checkin.as_str().to_owned()),
        needs_attention: Set(false),
        created_by: Set(caller.account_id),
        version: Set(1),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    Entry::new("check_in", "service_session", created.id)
        .after(&created)
        .record(&txn, caller)
        .await?;
    txn.commit().await?;
    Ok(created)
}

/// Closes the caller's open check-in now; past 12 hours it closes at 12 hours, flagged. The
/// participants and description given are held to the rules of logging.
pub async fn check_out(
    db: &DatabaseConnection,
    caller: &Caller,
    id: i32,
    participants: Option<i32>,
    description: Option<String>,
) -> Result<service_session::Model, AppError> {
    let txn = db::begin_write(db).await?;
    let before = service_sessions::get(&txn, caller, id).await?;
    caller.require(
        caller.person_id == Some(before.person_id),
        "check out another person's session",
    )?;
    if before.ended_at.is_some() {
        return Err(AppError::conflict(
            "ended_at",
            "session.closed",
            "the session is closed already",
        ));
    }
    let now = Utc::now();
    let (ended_at, _) = closing_time(&before, now);
    let draft = Draft {
        ended_at: Some(ended_at),
        participants: participants.unwrap_or(before.participants),
        description: description.as_deref().unwrap_or(&before.description),
        ..draft_of(&before)
    };
    let context = Context {
        session_id: Some(before.id),
        ..Context::default()
    };
    let description = session_rules::check_fields(&txn, &draft, context, now).await?;
    let after = close(&txn, &before, now, participants, Some(description)).await?;
    let action = if after.needs_attention {
        "auto_close"
    } else {
        "check_out"
    };
    record_history(&txn, caller, action, None, &before, &after).await?;
    Entry::new(action, "service_session", id)
        .before(&before)
        .after(&after)
        .record(&txn, caller)
        .await?;
    txn.commit().await?;
    Ok(after)
}

/// A stored session as a draft of the rules.
fn draft_of(session: &service_session::Model) -> Draft<'_> {
    Draft {
        person_id: session.person_id,
        community_id: session.community_id,
        started_at: session.started_at,
        ended_at: session.ended_at,
        activity: &session.activity,
        participants: session.participants,
        description: &session.description,
    }
}

/// When an open session closes if it is closed at `now`: then, or at its 12th hour (flagged).
fn closing_time(before: &service_session::Model, now: DateTime<Utc>) -> (DateTime<Utc>, bool) {
    let limit = before.started_at + MAX_DURATION;
    if now > limit {
        (limit, true)
    } else {
        (now, false)
    }
}

async fn close(
    txn: &impl ConnectionTrait,
    before: &service_session::Model,
    now: DateTime<Utc>,
    participants: Option<i32>,
    description: Option<String>,
) -> Result<service_session::Model, AppError> {
    let (ended_at, flagged) = closing_time(before, now);
    let mut active: service_session::ActiveModel = before.clone().into();
    active.ended_at = Set(Some(ended_at));
    active.quarters = Set(quarter_hours(before.started_at, ended_at));
    active.needs_attention = Set(flagged);
    if let Some(participants) = participants {
        active.participants = Set(participants);
    }
    if let Some(description) = description {
        active.description = Set(description.trim().to_owned());
    }
    active.version = Set(before.version + 1);
    active.updated_at = Set(Utc::now());
    Ok(active.update(txn).await?)
}

/// Closes every check-in open for more than 12 hours at its 12th hour and flags it; returns how
/// many. The server runs this every minute.
pub async fn close_stale(db: &DatabaseConnection, now: DateTime<Utc>) -> Result<usize, AppError> {
    let stale_query = || {
        service_session::Entity::find()
            .filter(service_session::Column::EndedAt.is_null())
            .filter(service_session::Column::StartedAt.lt(now - MAX_DURATION))
    };
    // Most minutes find nothing: look before taking the write lock.
    if stale_query().one(db).await?.is_none() {
        return Ok(0);
    }
    let txn = db::begin_write(db).await?;
    let stale = stale_query().all(&txn).await?;
    let system = Caller::system();
    for before in &stale {
        let after = close(&txn, before, now, None, None).await?;
        record_history(
            &txn,
            &system,
            "auto_close",
            Some("open for more than 12 hours"),
            before,
            &after,
        )
        .await?;
        Entry::new("auto_close", "service_session", before.id)
            .before(before)
            .after(&after)
            .record(&txn, &system)
            .await?;
    }
    txn.commit().await?;
    Ok(stale.len())
}

/// The fields a correction may change.
#[derive(Debug, Clone, Default)]
pub struct Correction {
    pub started_at: Option<DateTime<Utc>>,
    pub ended_at: Option<DateTime<Utc>>,
    pub activity: Option<String>,
    pub participants: Option<i32>,
    pub description: Option<String>,
    pub reason: String,
}

/// Files a correction of an approved session: by its person, or an officer of its street, or the
/// bureau.
pub async fn request_correction(
    db: &DatabaseConnection,
    caller: &Caller,
    session_id: i32,
    correction: Correction,
) -> Result<session_correction::Model, AppError> {
    let reason = text::required_text("reason", &correction.reason, 1000).map_err(AppError::of)?;
    let txn = db::begin_write(db).await?;
    let session = service_sessions::get(&txn, caller, session_id).await?;
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
    session_rules::check(
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

/// Writes a checked draft over the session, with its hours and a new version.
async fn save_draft(
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
    let session = service_sessions::get(&txn, caller, correction.session_id)
        .await
        .map_err(|_| AppError::not_found("correction", correction_id))?;
    service_sessions::ensure_reviewer(&txn, caller, &session).await?;
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
        let description =
            session_rules::check(&txn, &draft, correction_context(&session), now).await?;
        let after = save_draft(&txn, &session, &draft, description, now).await?;
        record_history(
            &txn,
            caller,
            "correct",
            Some(&correction.reason),
            &session,
            &after,
        )
        .await?;
        Entry::new("correct", "service_session", session.id)
            .before(&session)
            .after(&after)
            .record(&txn, caller)
            .await?;
        service_sessions::notify_corrected(&txn, &after).await?;
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

/// Changes to a pending session; `None` leaves a field as it is.
#[derive(Debug, Clone, Default)]
pub struct Edit {
    pub community_id: Option<i32>,
    pub started_at: Option<DateTime<Utc>>,
    pub ended_at: Option<DateTime<Utc>>,
    pub activity: Option<String>,
    pub participants: Option<i32>,
    pub description: Option<String>,
    pub expected_version: Option<i64>,
}

/// Edits a pending, closed session: by its person or whoever logged it, under the rules of logging.
pub async fn edit(
    db: &DatabaseConnection,
    caller: &Caller,
    id: i32,
    edit: Edit,
) -> Result<service_session::Model, AppError> {
    let txn = db::begin_write(db).await?;
    let before = service_sessions::get(&txn, caller, id).await?;
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
    let description = session_rules::check(&txn, &draft, context, now).await?;
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
