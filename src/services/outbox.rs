//! Reading the outbox: what mail is waiting, sent or given up.

use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder};

use super::{PageRequest, Paged, fetch_page};
use crate::{
    auth::{Caller, Target},
    entities::outbox,
    error::AppError,
    mail::{MailKind, MailStatus},
};

/// Mail, newest first, optionally of one status.
pub async fn list(
    db: &DatabaseConnection,
    caller: &Caller,
    status: Option<MailStatus>,
    kind: Option<MailKind>,
    page: PageRequest,
) -> Result<Paged<outbox::Model>, AppError> {
    caller.require(caller.can_read(Target::DistrictRecords), "read the outbox")?;
    let mut select = outbox::Entity::find();
    if let Some(status) = status {
        select = select.filter(outbox::Column::Status.eq(status));
    }
    if let Some(kind) = kind {
        select = select.filter(outbox::Column::Kind.eq(kind));
    }
    Ok(fetch_page(select.order_by_desc(outbox::Column::Id), db, page).await?)
}
