//! `/assignments`: who serves which community in which role, from when until when.

use chrono::{DateTime, NaiveDate, Utc};
use poem_openapi::{
    ApiResponse, Object, OpenApi,
    param::{Path, Query},
    payload::Json,
};

use super::{ApiTags, Page, auth::BearerAuth, json::JsonBody, pagination::page_request};
use crate::{
    app::AppState,
    domain::{person::QualificationKind, time::today},
    entities::assignment,
    error::AppError,
    services::assignments::{self, AssignmentFilter, NewAssignment},
};

pub struct AssignmentsApi {
    state: AppState,
}

impl AssignmentsApi {
    pub fn new(state: &AppState) -> Self {
        Self {
            state: state.clone(),
        }
    }
}

/// A person serving a community in a role. In force on day D when `starts_on <= D` and
/// (`ends_on` is null or `D < ends_on`).
#[derive(Debug, Object)]
pub struct Assignment {
    pub id: i32,
    pub person_id: i32,
    pub community_id: i32,
    /// The qualification kind the person serves as.
    pub role: QualificationKind,
    pub starts_on: NaiveDate,
    /// The first day it is no longer in force.
    pub ends_on: Option<NaiveDate>,
    pub end_reason: Option<String>,
    pub created_at: DateTime<Utc>,
}

impl From<assignment::Model> for Assignment {
    fn from(a: assignment::Model) -> Self {
        Self {
            id: a.id,
            person_id: a.person_id,
            community_id: a.community_id,
            role: a.role,
            starts_on: a.starts_on,
            ends_on: a.ends_on,
            end_reason: a.end_reason,
            created_at: a.created_at,
        }
    }
}

#[derive(Object)]
#[oai(deny_unknown_fields)]
pub struct NewAssignmentRequest {
    pub person_id: i32,
    pub community_id: i32,
    /// The person needs an active qualification of this kind.
    pub role: QualificationKind,
    /// Defaults to today (UTC+08:00).
    pub starts_on: Option<NaiveDate>,
}

#[derive(Object)]
#[oai(deny_unknown_fields)]
pub struct EndAssignmentRequest {
    /// The first day the assignment is no longer in force; defaults to today.
    pub ends_on: Option<NaiveDate>,
    #[oai(validator(max_length = 500))]
    pub reason: String,
}

#[derive(ApiResponse)]
pub enum CreatedAssignment {
    /// The assignment was made.
    #[oai(status = 201)]
    Created(Json<Assignment>),
}

#[OpenApi(tag = "ApiTags::Assignments")]
impl AssignmentsApi {
    /// Assign a person to a community
    ///
    /// The person needs an active qualification of the role; an overlapping assignment of the same
    /// person, community and role is a 409. Officers assign their people to their communities.
    #[oai(
        path = "/assignments",
        method = "post",
        operation_id = "create_assignment"
    )]
    async fn create(
        &self,
        auth: BearerAuth,
        body: JsonBody<NewAssignmentRequest>,
    ) -> Result<CreatedAssignment, AppError> {
        let body = body.0;
        let new = NewAssignment {
            person_id: body.person_id,
            community_id: body.community_id,
            role: body.role,
            starts_on: body.starts_on,
        };
        Ok(CreatedAssignment::Created(Json(
            assignments::create(&self.state.db, &auth.0, new)
                .await?
                .into(),
        )))
    }

    /// List assignments
    #[oai(
        path = "/assignments",
        method = "get",
        operation_id = "list_assignments"
    )]
    async fn list(
        &self,
        auth: BearerAuth,
        person_id: Query<Option<i32>>,
        community_id: Query<Option<i32>>,
        role: Query<Option<QualificationKind>>,
        /// Only assignments in force on this day.
        as_of: Query<Option<NaiveDate>>,
        /// Page number, from 1 to 100000.
        #[oai(validator(minimum(value = "1"), maximum(value = "100000")))]
        page: Query<Option<u64>>,
        /// Items per page, 1 to 200 (default 50).
        #[oai(validator(minimum(value = "1"), maximum(value = "200")))]
        per_page: Query<Option<u64>>,
    ) -> Result<Json<Page<Assignment>>, AppError> {
        let filter = AssignmentFilter {
            person_id: person_id.0,
            community_id: community_id.0,
            role: role.0,
            as_of: super::params::day("as_of", as_of.0)?,
        };
        let paged = assignments::list(
            &self.state.db,
            &auth.0,
            &filter,
            page_request(page.0, per_page.0),
        )
        .await?;
        Ok(Json(Page::from_paged(paged, Assignment::from)))
    }

    /// Get an assignment
    #[oai(
        path = "/assignments/:id",
        method = "get",
        operation_id = "get_assignment"
    )]
    async fn get(&self, auth: BearerAuth, id: Path<i32>) -> Result<Json<Assignment>, AppError> {
        Ok(Json(
            assignments::get(&self.state.db, &auth.0, id.0)
                .await?
                .into(),
        ))
    }

    /// End an assignment
    #[oai(
        path = "/assignments/:id/end",
        method = "post",
        operation_id = "end_assignment"
    )]
    async fn end(
        &self,
        auth: BearerAuth,
        id: Path<i32>,
        body: JsonBody<EndAssignmentRequest>,
    ) -> Result<Json<Assignment>, AppError> {
        let ends_on = body.ends_on.unwrap_or_else(today);
        Ok(Json(
            assignments::end(&self.state.db, &auth.0, id.0, ends_on, &body.reason)
                .await?
                .into(),
        ))
    }
}
