//! Service sessions: instructors and volunteers log what they ran, the street office or the
//! bureau reviews it, and approved hours add up (DOMAIN.md section 3).

use crate::services::person_scope;
use chrono::{DateTime, TimeDelta, Utc};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseConnection,
    EntityTrait, QueryFilter, QueryOrder, QuerySelect,
};
use sha2::{Digest, Sha256};

use super::{PageRequest, Paged, audit::Entry, fetch_page, list_scope, session_rules};
use crate::{
    auth::{Caller, Target, hex},
    db,
    domain::{
        account::Role,
        hours::quarter_hours,
        person::{SessionSource, SessionStatus},
        text,
    },
    entities::{community, service_session, session_idempotency},
    error::AppError,
};

pub use super::session_rules::{CLOCK_SKEW, MAX_DURATION, MEMBER_LOOKBACK};
/// How long an idempotency key is remembered.
pub const IDEMPOTENCY_TTL: TimeDelta = TimeDelta::hours(24);

#[derive(Debug, Clone)]
pub struct NewSession {
    /// A member may omit it: its own person.
    pub person_id: Option<i32>,
    pub community_id: i32,
    pub started_at: DateTime<Utc>,
    pub ended_at: DateTime<Utc>,
    pub activity: String,
    pub participants: i32,
    pub description: String,
}

#[derive(Debug, Clone, Default)]
pub struct SessionFilter {
    pub person_id: Option<i32>,
    pub community_id: Option<i32>,
    pub street_id: Option<i32>,
    pub status: Option<SessionStatus>,
    pub source: Option<SessionSource>,
    pub from: Option<DateTime<Utc>>,
    pub to: Option<DateTime<Utc>>,
    /// Oldest first (the review queue) instead of newest first.
    pub oldest_first: bool,
}

/// An `Idempotency-Key` and the body it came with.
#[derive(Debug, Clone)]
pub struct Idempotency {
    pub key: String,
    pub body: Vec<u8>,
}

/// Whether a session was created now or found as the answer to an earlier request.
pub enum Created {
    New(service_session::Model),
    Replayed(service_session::Model),
}

/// Logs a session. A repeated request with the same `Idempotency-Key` and body returns the first
/// answer and creates nothing; the same key with another body is a 409.
pub async fn create(
    db: &DatabaseConnection,
    caller: &Caller,
    new: NewSession,
    idempotency: Option<Idempotency>,
) -> Result<Created, AppError> {
    let person_id = match (caller.role, new.person_id) {
        (Role::Member, None) => caller
            .person_id
            .ok_or(AppError::Forbidden("no person".into()))?,
        (Role::Member, Some(id)) if Some(id) != caller.person_id => {
            return Err(AppError::Forbidden(
                "members log sessions for themselves only".into(),
            ));
        }
        (_, Some(id)) => id,
        (_, None) => {
            return Err(AppError::invalid(
                "person_id",
                "value.required",
                "is required",
            ));
        }
    };
    caller.require(caller.role != Role::Auditor, "log service sessions")?;
    let now = Utc::now();
    let txn = db::begin_write(db).await?;
    let person = person_scope::lock(&txn, person_id).await?;
    let target = Target::Person {
        person_id,
        street_id: person.street_id,
    };
    if caller.role == Role::Member {
        caller.authorize_read(target, "person", person_id)?;
    } else {
        caller.authorize_write(target, "person", person_id)?;
    }
    let request_hash = idempotency.as_ref().map(|i| hex(&Sha256::digest(&i.body)));
    if let (Some(key), Some(hash), Some(account_id)) =
        (&idempotency, &request_hash, caller.account_id)
    {
        let earlier = session_idempotency::Entity::find_by_id((account_id, key.key.clone()))
            .filter(session_idempotency::Column::CreatedAt.gt(now - IDEMPOTENCY_TTL))
            .one(&txn)
            .await?;
        if let Some(earlier) = earlier {
            if &earlier.request_hash != hash {
                return Err(AppError::conflict(
                    "Idempotency-Key",
                    "idempotency.key_reused",
                    "was used with another request body",
                ));
            }
            let first = service_session::Entity::find_by_id(earlier.session_id)
                .one(&txn)
                .await?
                .ok_or_else(|| AppError::Internal("idempotent session vanished".into()))?;
            return Ok(Created::Replayed(first));
        }
    }
    let draft = session_rules::Draft {
        person_id,
        community_id: new.community_id,
        started_at: new.started_at,
        ended_at: Some(new.ended_at),
        activity: &new.activity,
        participants: new.participants,
        description: &new.description,
    };
    let context = session_rules::Context {
        session_id: None,
        member_lookback: caller.role == Role::Member,
        places_community: true,
    };
    let description = session_rules::check(&txn, &draft, context, now).await?;
    let source = if caller.role == Role::Member {
        SessionSource::OwnLog
    } else {
        SessionSource::Staff
    };
    let created = service_session::ActiveModel {
        person_id: Set(person_id),
        community_id: Set(new.community_id),
        started_at: Set(new.started_at),
        ended_at: Set(Some(new.ended_at)),
        activity: Set(new.activity),
        participants: Set(new.participants),
        description: Set(description),
        status: Set(SessionStatus::Pending),
        quarters: Set(quarter_hours(new.started_at, new.ended_at)),
        source: Set(source.as_str().to_owned()),
        needs_attention: Set(false),
        reviewed_by: Set(None),
        reviewed_at: Set(None),
        review_note: Set(None),
        created_by: Set(caller.account_id),
        version: Set(1),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    if let (Some(key), Some(hash), Some(account_id)) =
        (idempotency, request_hash, caller.account_id)
    {
        // Only an expired use of the key makes room: a fresh one, even one committed by a
        // concurrent request a moment ago, must make this insert fail.
        session_idempotency::Entity::delete_many()
            .filter(session_idempotency::Column::AccountId.eq(account_id))
            .filter(session_idempotency::Column::Key.eq(key.key.as_str()))
            .filter(session_idempotency::Column::CreatedAt.lte(now - IDEMPOTENCY_TTL))
            .exec(&txn)
            .await?;
        // Two requests with one key for different people are not serialised by the person lock:
        // the second waits on the key's unique index and is told the key is taken.
        session_idempotency::Entity::insert(session_idempotency::ActiveModel {
            account_id: Set(account_id),
            key: Set(key.key),
            request_hash: Set(hash),
            session_id: Set(created.id),
            created_at: Set(now),
        })
        .exec(&txn)
        .await
        .map_err(|e| {
            AppError::unique_or_db(
                e,
                "Idempotency-Key",
                "idempotency.key_reused",
                "was used by another request at the same time",
            )
        })?;
    }
    Entry::new("create", "service_session", created.id)
        .after(&created)
        .record(&txn, caller)
        .await?;
    txn.commit().await?;
    Ok(Created::New(created))
}

/// A session the caller may read: of a person or a community of its scope (404 otherwise).
pub async fn get(
    db: &impl ConnectionTrait,
    caller: &Caller,
    id: i32,
) -> Result<service_session::Model, AppError> {
    let found = service_session::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or_else(|| AppError::not_found("service session", id))?;
    if person_scope::record_readable(db, caller, found.person_id, found.community_id).await? {
        Ok(found)
    } else {
        Err(AppError::not_found("service session", id))
    }
}

pub async fn list(
    db: &DatabaseConnection,
    caller: &Caller,
    filter: &SessionFilter,
    page: PageRequest,
) -> Result<Paged<service_session::Model>, AppError> {
    let mut select = service_session::Entity::find().filter(list_scope::held(
        caller,
        service_session::Column::PersonId,
        service_session::Column::CommunityId,
    ));
    if let Some(street_id) = filter.street_id {
        select = select.filter(list_scope::in_street(
            service_session::Column::CommunityId,
            street_id,
        ));
    }
    if let Some(person_id) = filter.person_id {
        select = select.filter(service_session::Column::PersonId.eq(person_id));
    }
    if let Some(community_id) = filter.community_id {
        select = select.filter(service_session::Column::CommunityId.eq(community_id));
    }
    if let Some(status) = filter.status {
        select = select.filter(service_session::Column::Status.eq(status));
    }
    if let Some(source) = filter.source {
        select = select.filter(service_session::Column::Source.eq(source.as_str()));
    }
    if let Some(from) = filter.from {
        select = select.filter(service_session::Column::StartedAt.gte(from));
    }
    if let Some(to) = filter.to {
        select = select.filter(service_session::Column::StartedAt.lt(to));
    }
    select = if filter.oldest_first {
        select
            .order_by_asc(service_session::Column::CreatedAt)
            .order_by_asc(service_session::Column::Id)
    } else {
        select
            .order_by_desc(service_session::Column::StartedAt)
            .order_by_desc(service_session::Column::Id)
    };
    Ok(fetch_page(select, db, page).await?)
}

/// A review decision.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    Approve,
    Reject,
}

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
    let before = get(&txn, caller, id).await?;
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
    super::session_changes::record_history(&txn, caller, action, note, &before, &after).await?;
    Entry::new(action, "service_session", id)
        .before(&before)
        .after(&after)
        .record(&txn, caller)
        .await?;
    notify(&txn, &after).await?;
    txn.commit().await?;
    Ok(after)
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

/// Mails the person that a correction changed a session.
pub(super) async fn notify_corrected(
    txn: &impl ConnectionTrait,
    session: &service_session::Model,
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
    let mail = crate::mail::Mail::SessionCorrected {
        name: &person.name,
        community: &community,
        started_at: session.started_at,
        hours: crate::domain::hours::hours(i64::from(session.quarters)),
    };
    crate::mail::enqueue(txn, email, &mail).await
}

/// Mails the person the outcome of a review, when the person has an address.
async fn notify(
    txn: &impl ConnectionTrait,
    session: &service_session::Model,
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
    let mail = crate::mail::Mail::SessionReviewed {
        name: &person.name,
        community: &community,
        started_at: session.started_at,
        hours: crate::domain::hours::hours(i64::from(session.quarters)),
        approved: session.status == SessionStatus::Approved,
        note: session.review_note.as_deref(),
    };
    crate::mail::enqueue(txn, email, &mail).await
}

/// Withdraws a pending session: by its person, or by whoever logged it.
pub async fn withdraw(
    db: &DatabaseConnection,
    caller: &Caller,
    id: i32,
) -> Result<service_session::Model, AppError> {
    let txn = db::begin_write(db).await?;
    let before = get(&txn, caller, id).await?;
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
    super::session_changes::record_history(&txn, caller, "withdraw", None, &before, &after).await?;
    Entry::new("withdraw", "service_session", id)
        .before(&before)
        .after(&after)
        .record(&txn, caller)
        .await?;
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
    let before = get(&txn, caller, id).await?;
    caller.require(caller.role == Role::BureauAdmin, "revoke sessions")?;
    if before.status != SessionStatus::Approved {
        return Err(AppError::conflict(
            "status",
            "session.not_approved",
            "only approved sessions can be revoked",
        ));
    }
    let after = transition(&txn, &before, SessionStatus::Revoked, Some(note)).await?;
    super::session_changes::record_history(&txn, caller, "revoke", Some(note), &before, &after)
        .await?;
    Entry::new("revoke", "service_session", id)
        .before(&before)
        .after(&after)
        .record(&txn, caller)
        .await?;
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

/// A person's hours in a year (counted in UTC+08:00) and overall.
#[derive(Debug, Clone, PartialEq)]
pub struct Summary {
    pub year: i32,
    pub approved_quarters: i64,
    pub pending_quarters: i64,
    pub sessions: u64,
    pub lifetime_quarters: i64,
}

pub async fn summary(
    db: &DatabaseConnection,
    caller: &Caller,
    person_id: i32,
    year: i32,
) -> Result<Summary, AppError> {
    person_scope::find_readable(db, caller, person_id).await?;
    let start = chrono::NaiveDate::from_ymd_opt(year, 1, 1)
        .ok_or_else(|| AppError::invalid("year", "year.out_of_range", "is out of range"))?;
    let end = chrono::NaiveDate::from_ymd_opt(year + 1, 1, 1)
        .ok_or_else(|| AppError::invalid("year", "year.out_of_range", "is out of range"))?;
    let (from, to) = (
        crate::domain::time::start_of_day(start),
        crate::domain::time::start_of_day(end),
    );
    let rows: Vec<(SessionStatus, DateTime<Utc>, i32)> = service_session::Entity::find()
        .select_only()
        .columns([
            service_session::Column::Status,
            service_session::Column::StartedAt,
            service_session::Column::Quarters,
        ])
        .filter(service_session::Column::PersonId.eq(person_id))
        .filter(
            service_session::Column::Status
                .is_in([SessionStatus::Pending, SessionStatus::Approved]),
        )
        .into_tuple()
        .all(db)
        .await?;
    let mut summary = Summary {
        year,
        approved_quarters: 0,
        pending_quarters: 0,
        sessions: 0,
        lifetime_quarters: 0,
    };
    for (status, started_at, quarters) in rows {
        let in_year = started_at >= from && started_at < to;
        match status {
            SessionStatus::Approved => {
                summary.lifetime_quarters += i64::from(quarters);
                if in_year {
                    summary.approved_quarters += i64::from(quarters);
                    summary.sessions += 1;
                }
            }
            _ if in_year => summary.pending_quarters += i64::from(quarters),
            _ => {}
        }
    }
    Ok(summary)
}
