//! Reading the sport item code table.

use sea_orm::{DatabaseConnection, EntityTrait, QueryOrder};

use super::{PageRequest, Paged, fetch_page};
use crate::{entities::sport_item, error::AppError};

pub async fn list(
    db: &DatabaseConnection,
    page: PageRequest,
) -> Result<Paged<sport_item::Model>, AppError> {
    Ok(fetch_page(
        sport_item::Entity::find().order_by_asc(sport_item::Column::Id),
        db,
        page,
    )
    .await?)
}

/// The Chinese name of every sport item, by code.
pub async fn names(
    db: &DatabaseConnection,
) -> Result<std::collections::HashMap<String, String>, AppError> {
    Ok(sport_item::Entity::find()
        .all(db)
        .await?
        .into_iter()
        .map(|item| (item.code, item.name))
        .collect())
}
