//! Reading the outbox: what mail is waiting, sent or given up.

use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder};

use super::{PageRequest, Paged, fetch_page};
use crate::{
    auth::{Caller, Target},
    entities::outbox,
    error::AppError,
    mail::MailStatus,
};

/// Mail, newest first, optionally of one status.
pub async fn list(
    db: &DatabaseConnection,
    caller: &Caller,
    status: Option<MailStatus>,
    page: PageRequest,
) -> Result<Paged<outbox::Model>, AppError> {
    caller.require(caller.can_read(Target::DistrictRecords), "read the outbox")?;
    let mut select = outbox::Entity::find();
    if let Some(status) = status {
        select = select.filter(outbox::Column::Status.eq(status));
    }
    Ok(fetch_page(select.order_by_desc(outbox::Column::Id), db, page).await?)
}
