//! Logging a session: the caller's person or one of its people, the rules, and `Idempotency-Key`
//! replay.

use chrono::Utc;
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter,
};
use sha2::{Digest, Sha256};

use super::{
    Created, IDEMPOTENCY_TTL, Idempotency, NewSession,
    rules::{self},
};
use crate::{
    auth::{Caller, Target, hex},
    db,
    domain::{
        account::Role,
        hours::quarter_hours,
        person::{SessionSource, SessionStatus},
    },
    entities::{service_session, session_idempotency},
    error::AppError,
    services::{audit::Entry, person_scope},
};

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
    // Everything that holds on a snapshot is checked on the read pool, before the writer.
    let person = person_scope::named(db, person_id).await?;
    let target = Target::Person {
        person_id,
        street_id: person.street_id,
    };
    if caller.role == Role::Member {
        caller.authorize_read(target, "person", person_id)?;
    } else {
        caller.authorize_write(target, "person", person_id)?;
    }
    let draft = rules::Draft {
        person_id,
        community_id: new.community_id,
        started_at: new.started_at,
        ended_at: Some(new.ended_at),
        activity: &new.activity,
        participants: new.participants,
        description: &new.description,
    };
    let context = rules::Context {
        session_id: None,
        member_lookback: caller.role == Role::Member,
        places_community: true,
    };
    let request_hash = idempotency.as_ref().map(|i| hex(&Sha256::digest(&i.body)));
    let checked = rules::check_before_write(db, &draft, context, now).await;

    let txn = db::begin_write(db).await?;
    person_scope::serialise(&txn, person_id).await?;
    // A replay answers as the first request did, even when the rules would refuse it now.
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
    let description = checked?;
    rules::check_overlap(&txn, &draft, context).await?;
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
