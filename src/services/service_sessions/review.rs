//! Review of pending sessions by the officer of the community's street or the bureau, and the
//! mails that tell the person.

use std::collections::HashSet;

use chrono::Utc;
use futures_util::{StreamExt, stream};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseConnection, DbErr, EntityTrait,
    QueryFilter,
};

use super::{Decision, history::record_change};
use crate::{
    auth::{Caller, Target},
    db::{self, WriteTxn},
    domain::{account::Role, hours::hours, person::SessionStatus, text},
    entities::{community, service_session},
    error::AppError,
    mail::{self, Mail},
    services::person_scope,
};

/// Approves or rejects a pending session: by the officer of the community's street or the bureau,
/// never by the session's own person; a rejection needs a note. The person is told by mail.
///
/// Every rule is checked on the read pool first; the write then changes the session only if it is
/// still pending at the version read (one statement), and checks everything again inside the write
/// only when it is not.
pub async fn review(
    db: &DatabaseConnection,
    caller: &Caller,
    id: i32,
    decision: Decision,
    note: Option<&str>,
) -> Result<service_session::Model, AppError> {
    let note = checked_note(decision, note)?;
    review_checked(db, caller, id, decision, note.as_deref()).await
}

/// How many sessions of one bulk review are in the writer's queue at once: enough for the writer
/// to commit them together, few enough that one request does not take PostgreSQL's whole pool.
const BULK_IN_FLIGHT: usize = 8;

/// Reviews several sessions, each by the single-review rules and in its own transaction; the
/// answer holds each id's outcome, in the order of `ids`. A few are under way at once, so the
/// writer commits them together. A failure of the server's own (5xx) is logged with the id, so it
/// is not lost among the refusals.
pub async fn review_many(
    db: &DatabaseConnection,
    caller: &Caller,
    ids: &[i32],
    decision: Decision,
    note: Option<&str>,
) -> Vec<(i32, Result<service_session::Model, AppError>)> {
    let Ok(note) = checked_note(decision, note) else {
        // The same refusal for every id.
        return ids
            .iter()
            .map(|&id| (id, checked_note(decision, note).map(|_| unreachable!())))
            .collect();
    };
    let note = note.as_deref();
    let review_one = |id: i32| async move {
        let outcome = review_checked(db, caller, id, decision, note).await;
        if let Err(err) = &outcome
            && err.status().is_server_error()
        {
            tracing::error!(session_id = id, error = %err, "bulk review of one session failed");
        }
        outcome
    };
    // Each id's first mention is reviewed concurrently with the others; a repeated id after all of
    // them, in order, so the first mention is the one that counts.
    let mut seen = HashSet::with_capacity(ids.len());
    let (first, repeated): (Vec<_>, Vec<_>) = (0..ids.len()).partition(|&i| seen.insert(ids[i]));
    let mut outcomes: Vec<Option<Result<service_session::Model, AppError>>> =
        ids.iter().map(|_| None).collect();
    let mut done = stream::iter(first)
        .map(|i| async move { (i, review_one(ids[i]).await) })
        .buffered(BULK_IN_FLIGHT);
    while let Some((i, outcome)) = done.next().await {
        outcomes[i] = Some(outcome);
    }
    for i in repeated {
        outcomes[i] = Some(review_one(ids[i]).await);
    }
    ids.iter()
        .zip(outcomes)
        .map(|(&id, outcome)| (id, outcome.expect("every id is reviewed")))
        .collect()
}

/// The review's note, trimmed; a rejection needs one.
fn checked_note(decision: Decision, note: Option<&str>) -> Result<Option<String>, AppError> {
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
    Ok(note)
}

async fn review_checked(
    db: &DatabaseConnection,
    caller: &Caller,
    id: i32,
    decision: Decision,
    note: Option<&str>,
) -> Result<service_session::Model, AppError> {
    let before = reviewable(db, caller, id).await?;
    let recipient = Recipient::of(db, &before).await?;
    let txn = db::begin_write(db).await?;
    let (before, after) = match decide(&txn, caller, &before, decision, note).await {
        Ok(after) => (before, after),
        Err(DbErr::RecordNotUpdated) => {
            // Changed since it was read: every rule again, on what the write sees.
            let before = reviewable(&txn, caller, id).await?;
            let after = decide(&txn, caller, &before, decision, note).await?;
            (before, after)
        }
        Err(err) => return Err(err.into()),
    };
    let action = if decision == Decision::Approve {
        "approve"
    } else {
        "reject"
    };
    record_change(&txn, caller, action, note, &before, &after).await?;
    if let Some(recipient) = recipient {
        recipient.tell(&txn, &after, News::Reviewed).await?;
    }
    txn.commit().await?;
    Ok(after)
}

/// The session, when the caller may review it and it waits for review.
async fn reviewable(
    db: &impl ConnectionTrait,
    caller: &Caller,
    id: i32,
) -> Result<service_session::Model, AppError> {
    let session = super::query::get(db, caller, id).await?;
    ensure_reviewer(db, caller, &session).await?;
    if session.ended_at.is_none() {
        return Err(AppError::conflict(
            "ended_at",
            "session.open",
            "the session is still open: check out first",
        ));
    }
    if session.status != SessionStatus::Pending {
        return Err(AppError::conflict(
            "status",
            "session.not_pending",
            format!(
                "only pending sessions are reviewed; this one is {:?}",
                session.status
            )
            .to_lowercase(),
        ));
    }
    Ok(session)
}

/// Writes the decision, if the session is still pending at the version of `before`
/// ([`DbErr::RecordNotUpdated`] otherwise).
async fn decide(
    txn: &WriteTxn,
    caller: &Caller,
    before: &service_session::Model,
    decision: Decision,
    note: Option<&str>,
) -> Result<service_session::Model, DbErr> {
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
    service_session::Entity::update(active)
        .validate()?
        .filter(service_session::Column::Version.eq(before.version))
        .filter(service_session::Column::Status.eq(SessionStatus::Pending))
        .exec(txn)
        .await
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
    match Recipient::of(txn, session).await? {
        Some(recipient) => recipient.tell(txn, session, news).await,
        None => Ok(()),
    }
}

/// Whom a session's news is mailed to: its person, when the person has an address.
struct Recipient {
    email: String,
    name: String,
    community: String,
}

impl Recipient {
    async fn of(
        db: &impl ConnectionTrait,
        session: &service_session::Model,
    ) -> Result<Option<Self>, AppError> {
        let person = person_scope::find(db, session.person_id).await?;
        let Some(email) = person.email else {
            return Ok(None);
        };
        let community = community::Entity::find_by_id(session.community_id)
            .one(db)
            .await?
            .map(|c| c.name)
            .unwrap_or_default();
        Ok(Some(Self {
            email,
            name: person.name,
            community,
        }))
    }

    async fn tell(
        &self,
        txn: &impl ConnectionTrait,
        session: &service_session::Model,
        news: News,
    ) -> Result<(), AppError> {
        let (name, community, started_at) = (
            self.name.as_str(),
            self.community.as_str(),
            session.started_at,
        );
        let hours = hours(i64::from(session.quarters));
        let mail = match news {
            News::Reviewed => Mail::SessionReviewed {
                name,
                community,
                started_at,
                hours,
                approved: session.status == SessionStatus::Approved,
                note: session.review_note.as_deref(),
            },
            News::Corrected => Mail::SessionCorrected {
                name,
                community,
                started_at,
                hours,
            },
        };
        mail::enqueue(txn, &self.email, &mail).await
    }
}
