//! The sport item code table: `/sport-items`.

use poem_openapi::{Object, OpenApi, param::Query, payload::Json};
use sea_orm::DatabaseConnection;

use super::{ApiTags, Page, auth::BearerAuth, pagination::page_request};
use crate::{app::AppState, entities::sport_item, error::AppError, services::sport_items};

pub struct SportItemsApi {
    db: DatabaseConnection,
}

impl SportItemsApi {
    pub fn new(state: &AppState) -> Self {
        Self {
            db: state.db.clone(),
        }
    }
}

/// A sport item, used for specialties and service activities.
#[derive(Debug, Object)]
pub struct SportItem {
    /// Stable code, e.g. `square_dance`.
    pub code: String,
    /// Chinese name, e.g. `广场舞`.
    pub name: String,
    /// Category, e.g. `dance_exercise`.
    pub category: String,
    /// High-risk items need a separate vocational licence: an instructor lists them only with a
    /// certificate number.
    pub high_risk: bool,
}

impl From<sport_item::Model> for SportItem {
    fn from(s: sport_item::Model) -> Self {
        Self {
            code: s.code,
            name: s.name,
            category: s.category,
            high_risk: s.high_risk,
        }
    }
}

#[OpenApi(tag = "ApiTags::Reference")]
impl SportItemsApi {
    /// List sport items
    ///
    /// The code table of sport items, in the order of `seeds/sport-items.csv`.
    #[oai(
        path = "/sport-items",
        method = "get",
        operation_id = "list_sport_items"
    )]
    async fn list_sport_items(
        &self,
        _auth: BearerAuth,
        /// Page number, from 1 to 100000.
        #[oai(validator(minimum(value = "1"), maximum(value = "100000")))]
        page: Query<Option<u64>>,
        /// Items per page, 1 to 200 (default 50).
        #[oai(validator(minimum(value = "1"), maximum(value = "200")))]
        per_page: Query<Option<u64>>,
    ) -> Result<Json<Page<SportItem>>, AppError> {
        let paged = sport_items::list(&self.db, page_request(page.0, per_page.0)).await?;
        Ok(Json(Page::from_paged(paged, SportItem::from)))
    }
}
