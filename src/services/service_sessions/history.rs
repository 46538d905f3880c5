//! The history of a session: the session before and after every change.

use crate::db::WriteTxn;
use chrono::Utc;
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter,
    QueryOrder,
};

use crate::{
    auth::Caller,
    entities::{service_session, session_history},
    error::AppError,
    services::audit::Entry,
};

/// Records a change of a session where both readers find it: the session's history, under
/// `action` with its reason, and the audit log, under the same action.
pub(super) async fn record_change(
    txn: &WriteTxn,
    caller: &Caller,
    action: &str,
    reason: Option<&str>,
    before: &service_session::Model,
    after: &service_session::Model,
) -> Result<(), AppError> {
    record_history(txn, caller, action, reason, before, after).await?;
    Entry::new(action, "service_session", before.id)
        .before(before)
        .after(after)
        .record(txn, caller)
        .await
}

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
    super::query::get(db, caller, id).await?;
    Ok(session_history::Entity::find()
        .filter(session_history::Column::SessionId.eq(id))
        .order_by_asc(session_history::Column::Id)
        .all(db)
        .await?)
}
