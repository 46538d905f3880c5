//! Streets and communities: `/streets`, `/communities`.

use chrono::{DateTime, Utc};
use poem_openapi::{
    ApiResponse, Object, OpenApi,
    param::{Header, Path, Query},
    payload::Json,
    types::MaybeUndefined,
};
use sea_orm::DatabaseConnection;

use super::{
    ApiTags, Page, accounts::maybe, auth::BearerAuth, expected_version, json::JsonBody,
    pagination::page_request,
};
use crate::{
    app::AppState,
    domain::region::{CommunityKind, StreetKind},
    entities::street,
    error::AppError,
    services::regions::{self, CommunityChanges, CommunityFilter, NewCommunity},
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

/// A community to add (bureau only).
#[derive(Object)]
#[oai(deny_unknown_fields)]
pub struct NewCommunityRequest {
    pub street_id: i32,
    /// The 12-digit division code, starting with the street's code.
    #[oai(validator(max_length = 32))]
    pub code: String,
    #[oai(validator(max_length = 200))]
    pub name: String,
    /// Defaults to the name.
    #[oai(validator(max_length = 200))]
    pub official_name: Option<String>,
    /// Derived from the code when absent (committee numbers 001-199 are communities, 200-399 villages).
    pub kind: Option<CommunityKind>,
    pub population: Option<i32>,
    /// Defaults to `true`.
    pub active: Option<bool>,
}

/// Changes to a community (bureau only); absent fields stay as they are.
#[derive(Object)]
#[oai(deny_unknown_fields)]
pub struct CommunityPatch {
    #[oai(validator(max_length = 200))]
    pub name: Option<String>,
    #[oai(validator(max_length = 200))]
    pub official_name: Option<String>,
    pub kind: Option<CommunityKind>,
    /// `null` clears it.
    pub population: MaybeUndefined<i32>,
    /// Deactivating takes the community out of the coverage audit.
    pub active: Option<bool>,
    /// The version read; a stale one gets 409. `If-Match` works too.
    pub version: Option<i64>,
}

#[derive(ApiResponse)]
pub enum CreatedCommunity {
    /// The community was added.
    #[oai(status = 201)]
    Created(Json<Community>),
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
        _auth: BearerAuth,
        /// Page number, from 1 to 100000.
        #[oai(validator(minimum(value = "1"), maximum(value = "100000")))]
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
        _auth: BearerAuth,
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
        _auth: BearerAuth,
        /// Only the communities of this street.
        street_id: Query<Option<i32>>,
        /// Only active (`true`) or inactive (`false`) communities.
        active: Query<Option<bool>>,
        /// Only communities (`community`) or villages (`village`).
        kind: Query<Option<CommunityKind>>,
        /// Part of the name or code.
        #[oai(validator(max_length = 100))]
        q: Query<Option<String>>,
        /// Page number, from 1 to 100000.
        #[oai(validator(minimum(value = "1"), maximum(value = "100000")))]
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
        _auth: BearerAuth,
        /// The community's id.
        id: Path<i32>,
    ) -> Result<Json<Community>, AppError> {
        Ok(Json(regions::get_community(&self.db, id.0).await?.into()))
    }

    /// Add a community
    ///
    /// Bureau only. The code must be new and start with the street's code.
    #[oai(
        path = "/communities",
        method = "post",
        operation_id = "create_community"
    )]
    async fn create_community(
        &self,
        auth: BearerAuth,
        body: JsonBody<NewCommunityRequest>,
    ) -> Result<CreatedCommunity, AppError> {
        let body = body.0;
        let new = NewCommunity {
            street_id: body.street_id,
            code: body.code,
            name: body.name,
            official_name: body.official_name,
            kind: body.kind,
            population: body.population,
            active: body.active,
        };
        let created = regions::create_community(&self.db, &auth.0, new).await?;
        Ok(CreatedCommunity::Created(Json(created.into())))
    }

    /// Change a community
    ///
    /// Bureau only: name, official name, kind, population, active flag.
    #[oai(
        path = "/communities/:id",
        method = "patch",
        operation_id = "update_community"
    )]
    async fn update_community(
        &self,
        auth: BearerAuth,
        /// The community's id.
        id: Path<i32>,
        /// The version read, as an alternative to the body's `version`.
        #[oai(name = "If-Match")]
        if_match: Header<Option<String>>,
        body: JsonBody<CommunityPatch>,
    ) -> Result<Json<Community>, AppError> {
        let body = body.0;
        let changes = CommunityChanges {
            name: body.name,
            official_name: body.official_name,
            kind: body.kind,
            population: maybe(body.population),
            active: body.active,
            expected_version: expected_version(if_match.0.as_deref(), body.version)?,
        };
        Ok(Json(
            regions::update_community(&self.db, &auth.0, id.0, changes)
                .await?
                .into(),
        ))
    }
}
