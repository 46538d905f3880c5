//! Ending the open assignments of a person or of a community, inside the caller's transaction:
//! when a person is suspended or retired, a qualification revoked, or a community deactivated.

use crate::db::WriteTxn;
use sea_orm::{ActiveModelTrait, ActiveValue::Set, ColumnTrait, EntityTrait, QueryFilter};

use super::audit::Entry;
use crate::{
    auth::Caller,
    domain::{person::QualificationKind, time::today},
    entities::assignment,
    error::AppError,
};

/// Whose open assignments to end.
pub enum Scope {
    Person(i32),
    Community(i32),
}

/// Ends today every open assignment of a person (optionally of one role) or of a community,
/// inside the caller's transaction. An assignment that has not started yet ends on its first day.
pub async fn end_open(
    txn: &WriteTxn,
    caller: &Caller,
    scope: Scope,
    role: Option<QualificationKind>,
    reason: &str,
) -> Result<u64, AppError> {
    let mut open = assignment::Entity::find().filter(assignment::Column::EndsOn.is_null());
    open = match scope {
        Scope::Person(id) => open.filter(assignment::Column::PersonId.eq(id)),
        Scope::Community(id) => open.filter(assignment::Column::CommunityId.eq(id)),
    };
    if let Some(role) = role {
        open = open.filter(assignment::Column::Role.eq(role));
    }
    let day = today();
    let mut ended = 0;
    for before in open.all(txn).await? {
        let mut active: assignment::ActiveModel = before.clone().into();
        active.ends_on = Set(Some(day.max(before.starts_on)));
        active.end_reason = Set(Some(reason.to_owned()));
        let after = active.update(txn).await?;
        Entry::new("end", "assignment", before.id)
            .before(&before)
            .after(&after)
            .record(txn, caller)
            .await?;
        ended += 1;
    }
    Ok(ended)
}
