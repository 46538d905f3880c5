//! Check-in and check-out at the server's clock; a check-in left open is closed at its 12th hour
//! and flagged.

use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseConnection, DbErr,
    EntityTrait, QueryFilter,
};

use super::{
    history::record_change,
    rules::{self, Context, Draft, MAX_DURATION, draft_of},
};
use crate::{
    auth::Caller,
    db,
    domain::{
        account::Role,
        hours::quarter_hours,
        person::{SessionSource, SessionStatus},
    },
    entities::service_session,
    error::AppError,
    services::{audit::Entry, person_scope},
};

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
    // What holds on a snapshot is checked on the read pool; only the overlap with the person's
    // other sessions (an open check-in among them) waits for the writer.
    rules::check_before_write(db, &draft, context, now).await?;
    let txn = db::begin_write(db).await?;
    person_scope::serialise(&txn, person_id).await?;
    rules::check_overlap(&txn, &draft, context).await?;
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

/// The member's check-in still open, if any.
pub async fn open_check_in(
    db: &DatabaseConnection,
    caller: &Caller,
) -> Result<Option<service_session::Model>, AppError> {
    let Some(person_id) = caller.person_id.filter(|_| caller.role == Role::Member) else {
        return Err(AppError::Forbidden(
            "only members check in, for themselves".into(),
        ));
    };
    Ok(service_session::Entity::find()
        .filter(service_session::Column::PersonId.eq(person_id))
        .filter(service_session::Column::EndedAt.is_null())
        .one(db)
        .await?)
}

/// Closes the caller's open check-in now; past 12 hours it closes at 12 hours, flagged. The
/// participants and description given are held to the rules of logging.
///
/// Checked on the read pool; the write closes the session only if it is still open at the version
/// read, and checks everything again on what it sees otherwise.
pub async fn check_out(
    db: &DatabaseConnection,
    caller: &Caller,
    id: i32,
    participants: Option<i32>,
    description: Option<String>,
) -> Result<service_session::Model, AppError> {
    let given = description.as_deref();
    let (before, checked) = closable(db, caller, id, participants, given).await?;
    let txn = db::begin_write(db).await?;
    let now = Utc::now();
    let (before, after) = match close(&txn, &before, now, participants, Some(checked)).await {
        Ok(after) => (before, after),
        Err(DbErr::RecordNotUpdated) => {
            let (before, checked) = closable(&txn, caller, id, participants, given).await?;
            let after = close(&txn, &before, now, participants, Some(checked)).await?;
            (before, after)
        }
        Err(err) => return Err(err.into()),
    };
    let action = if after.needs_attention {
        "auto_close"
    } else {
        "check_out"
    };
    record_change(&txn, caller, action, None, &before, &after).await?;
    txn.commit().await?;
    Ok(after)
}

/// The caller's own open session, and the description it closes with, when the rules of logging
/// hold for it closed now.
async fn closable(
    db: &impl ConnectionTrait,
    caller: &Caller,
    id: i32,
    participants: Option<i32>,
    description: Option<&str>,
) -> Result<(service_session::Model, String), AppError> {
    let before = super::query::get(db, caller, id).await?;
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
        description: description.unwrap_or(&before.description),
        ..draft_of(&before)
    };
    let context = Context {
        session_id: Some(before.id),
        ..Context::default()
    };
    let checked = rules::check_fields(db, &draft, context, now).await?;
    Ok((before, checked))
}

/// When an open session closes if it is closed at `now`: then, or at its 12th hour (flagged).
pub(super) fn closing_time(
    before: &service_session::Model,
    now: DateTime<Utc>,
) -> (DateTime<Utc>, bool) {
    let limit = before.started_at + MAX_DURATION;
    if now > limit {
        (limit, true)
    } else {
        (now, false)
    }
}

/// Closes an open session at `now` (at its 12th hour past that, flagged), if it is still open at the version of `before`
/// ([`DbErr::RecordNotUpdated`] otherwise).
async fn close(
    txn: &impl ConnectionTrait,
    before: &service_session::Model,
    now: DateTime<Utc>,
    participants: Option<i32>,
    description: Option<String>,
) -> Result<service_session::Model, DbErr> {
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
    active.updated_at = Set(now);
    service_session::Entity::update(active)
        .validate()?
        .filter(service_session::Column::Version.eq(before.version))
        .filter(service_session::Column::EndedAt.is_null())
        .exec(txn)
        .await
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
        record_change(
            &txn,
            &system,
            "auto_close",
            Some("open for more than 12 hours"),
            before,
            &after,
        )
        .await?;
    }
    txn.commit().await?;
    Ok(stale.len())
}
