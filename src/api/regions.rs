//! Streets and communities: `/streets`, `/communities`.

use chrono::{DateTime, Utc};
use poem_openapi::{
    Object, OpenApi,
    param::{Path, Query},
    payload::Json,
};
use sea_orm::DatabaseConnection;

use super::{ApiTags, Page, pagination::page_request};
use crate::{
    app::AppState,
    domain::region::{CommunityKind, StreetKind},
    entities::street,
    error::AppError,
    services::regions::{self, CommunityFilter},
};

pub struct RegionsApi {
    db: DatabaseConnection,
}

impl RegionsApi {
    pub fn new(state: &AppState) -> Self {
        Self {
            db: state.db.clone(),
        }
    }
}

/// A street (街道), town (镇) or township (乡): the area a street office administers.
#[derive(Debug, Object)]
pub struct Street {
    pub id: i32,
    /// The 9-digit statistical division code.
    pub code: String,
    pub name: String,
    pub kind: StreetKind,
    /// The 6-digit code of the county-level district it belongs to.
    pub county_code: String,
}

impl From<street::Model> for Street {
    fn from(s: street::Model) -> Self {
        Self {
            id: s.id,
            code: s.code,
            name: s.name,
            kind: s.kind,
            county_code: s.county_code,
        }
    }
}

/// A community (社区) or village (村): the unit the coverage audit counts.
#[derive(Debug, Object)]
pub struct Community {
    pub id: i32,
    pub street_id: i32,
    /// Code of the street it belongs to.
    pub street_code: String,
    /// Name of the street it belongs to.
    pub street_name: String,
    /// The 12-digit statistical division code.
    pub code: String,
    /// The short name, e.g. `鱼峰社区`.
    pub name: String,
    /// The committee's official name, e.g. `鱼峰社区居委会`.
    pub official_name: String,
    pub kind: CommunityKind,
    /// Resident population, where known (used for instructors per 1,000 residents).
    pub population: Option<i32>,
    /// Inactive communities are left out of the coverage audit.
    pub active: bool,
    /// Optimistic-lock version, sent back with updates.
    pub version: i32,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl From<regions::CommunityWithStreet> for Community {
    fn from((c, s): regions::CommunityWithStreet) -> Self {
        Self {
            id: c.id,
            street_id: c.street_id,
            street_code: s.code,
            street_name: s.name,
            code: c.code,
            name: c.name,
            official_name: c.official_name,
            kind: c.kind,
            population: c.population,
            active: c.active,
            version: c.version,
            created_at: c.created_at,
            updated_at: c.updated_at,
        }
    }
}

#[OpenApi(tag = "ApiTags::Regions")]
impl RegionsApi {
    /// List streets
    ///
    /// The streets, towns and townships of the district, ordered by code.
    #[oai(path = "/streets", method = "get", operation_id = "list_streets")]
    async fn list_streets(
        &self,
        /// Page number, from 1.
        #[oai(validator(minimum(value = "1")))]
        page: Query<Option<u64>>,
        /// Items per page, 1 to 200 (default 50).
        #[oai(validator(minimum(value = "1"), maximum(value = "200")))]
        per_page: Query<Option<u64>>,
    ) -> Result<Json<Page<Street>>, AppError> {
        let paged = regions::list_streets(&self.db, page_request(page.0, per_page.0)).await?;
        Ok(Json(Page::from_paged(paged, Street::from)))
    }

    /// Get a street
    #[oai(path = "/streets/:id", method = "get", operation_id = "get_street")]
    async fn get_street(
        &self,
        /// The street's id.
        id: Path<i32>,
    ) -> Result<Json<Street>, AppError> {
        Ok(Json(regions::get_street(&self.db, id.0).await?.into()))
    }

    /// List communities
    ///
    /// Communities and villages with their street, ordered by code.
    #[oai(
        path = "/communities",
        method = "get",
        operation_id = "list_communities"
    )]
    async fn list_communities(
        &self,
        /// Only the communities of this street.
        street_id: Query<Option<i32>>,
        /// Only active (`true`) or inactive (`false`) communities.
        active: Query<Option<bool>>,
        /// Only communities (`community`) or villages (`village`).
        kind: Query<Option<CommunityKind>>,
        /// Part of the name or code.
        #[oai(validator(max_length = 100))]
        q: Query<Option<String>>,
        /// Page number, from 1.
        #[oai(validator(minimum(value = "1")))]
        page: Query<Option<u64>>,
        /// Items per page, 1 to 200 (default 50).
        #[oai(validator(minimum(value = "1"), maximum(value = "200")))]
        per_page: Query<Option<u64>>,
    ) -> Result<Json<Page<Community>>, AppError> {
        let filter = CommunityFilter {
            street_id: street_id.0,
            active: active.0,
            kind: kind.0,
            q: q.0,
        };
        let paged =
            regions::list_communities(&self.db, &filter, page_request(page.0, per_page.0)).await?;
        Ok(Json(Page::from_paged(paged, Community::from)))
    }

    /// Get a community
    #[oai(
        path = "/communities/:id",
        method = "get",
        operation_id = "get_community"
    )]
    async fn get_community(
        &self,
        /// The community's id.
        id: Path<i32>,
    ) -> Result<Json<Community>, AppError> {
        Ok(Json(regions::get_community(&self.db, id.0).await?.into()))
    }
}
