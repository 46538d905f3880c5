//! `/service-sessions`: logging, listing, editing, reviewing, withdrawing and revoking sessions,
//! and a person's hours (this file); the bodies they take and give (`dto`).

mod dto;

pub use dto::*;

use chrono::{DateTime, Utc};
use poem_openapi::{
    OpenApi,
    param::{Header, Path, Query},
    payload::Json,
};

use super::{ApiTags, Page, auth::BearerAuth, json::JsonBody, pagination::page_request};
use crate::{
    app::AppState,
    domain::{
        hours::hours,
        person::{SessionSource, SessionStatus},
    },
    error::AppError,
    services::service_sessions::{self, Created, Idempotency, NewSession, SessionFilter},
};

pub struct ServiceSessionsApi {
    state: AppState,
}

impl ServiceSessionsApi {
    pub fn new(state: &AppState) -> Self {
        Self {
            state: state.clone(),
        }
    }
}

#[OpenApi(tag = "ApiTags::ServiceSessions")]
impl ServiceSessionsApi {
    /// Log a service session
    ///
    /// Members log for themselves, officers for their people. Refused with 422 naming the field:
    /// end not after start, over 12 hours, in the future (5 minutes' skew allowed), a member going
    /// over 30 days back, no qualification that day, an inactive community; 409 for an overlap with
    /// the person's pending or approved sessions. A repeated `Idempotency-Key` with the same body
    /// returns the first answer; with another body it is a 409.
    #[oai(
        path = "/service-sessions",
        method = "post",
        operation_id = "create_service_session"
    )]
    async fn create(
        &self,
        auth: BearerAuth,
        /// Makes retries safe: kept per account for 24 hours.
        #[oai(name = "Idempotency-Key", validator(max_length = 128))]
        idempotency_key: Header<Option<String>>,
        body: JsonBody<NewSessionRequest>,
    ) -> Result<CreatedSession, AppError> {
        let body = body.0;
        let canonical = serde_json::json!([
            body.person_id,
            body.community_id,
            body.started_at.timestamp_millis(),
            body.ended_at.timestamp_millis(),
            body.activity,
            body.participants,
            body.description,
        ]);
        let idempotency = idempotency_key.0.map(|key| Idempotency {
            key,
            body: canonical.to_string().into_bytes(),
        });
        let new = NewSession {
            person_id: body.person_id,
            community_id: body.community_id,
            started_at: body.started_at,
            ended_at: body.ended_at,
            activity: body.activity,
            participants: body.participants,
            description: body.description,
        };
        let session =
            match service_sessions::create(&self.state.db, &auth.0, new, idempotency).await? {
                Created::New(s) | Created::Replayed(s) => s,
            };
        Ok(CreatedSession::Created(Json(session.into())))
    }

    /// List service sessions
    ///
    /// Within the caller's scope, newest first.
    #[oai(
        path = "/service-sessions",
        method = "get",
        operation_id = "list_service_sessions"
    )]
    async fn list(
        &self,
        auth: BearerAuth,
        person_id: Query<Option<i32>>,
        community_id: Query<Option<i32>>,
        street_id: Query<Option<i32>>,
        status: Query<Option<SessionStatus>>,
        source: Query<Option<SessionSource>>,
        /// Sessions starting at or after this instant.
        from: Query<Option<DateTime<Utc>>>,
        /// Sessions starting before this instant.
        to: Query<Option<DateTime<Utc>>>,
        #[oai(validator(minimum(value = "1"), maximum(value = "100000")))] page: Query<Option<u64>>,
        #[oai(validator(minimum(value = "1"), maximum(value = "200")))] per_page: Query<
            Option<u64>,
        >,
    ) -> Result<Json<Page<ServiceSession>>, AppError> {
        let filter = SessionFilter {
            person_id: person_id.0,
            community_id: community_id.0,
            street_id: street_id.0,
            status: status.0,
            source: source.0,
            from: super::params::instant("from", from.0)?,
            to: super::params::instant("to", to.0)?,
            needs_attention: None,
            oldest_first: false,
        };
        let paged = service_sessions::list(
            &self.state.db,
            &auth.0,
            &filter,
            page_request(page.0, per_page.0),
        )
        .await?;
        Ok(Json(Page::from_paged(paged, ServiceSession::from)))
    }

    /// The review queue
    ///
    /// Pending sessions within the caller's scope, oldest first.
    #[oai(
        path = "/service-sessions/queue",
        method = "get",
        operation_id = "list_review_queue"
    )]
    async fn queue(
        &self,
        auth: BearerAuth,
        #[oai(validator(minimum(value = "1"), maximum(value = "100000")))] page: Query<Option<u64>>,
        #[oai(validator(minimum(value = "1"), maximum(value = "200")))] per_page: Query<
            Option<u64>,
        >,
    ) -> Result<Json<Page<ServiceSession>>, AppError> {
        let filter = SessionFilter {
            status: Some(SessionStatus::Pending),
            oldest_first: true,
            ..Default::default()
        };
        let paged = service_sessions::list(
            &self.state.db,
            &auth.0,
            &filter,
            page_request(page.0, per_page.0),
        )
        .await?;
        Ok(Json(Page::from_paged(paged, ServiceSession::from)))
    }

    /// Get a service session
    #[oai(
        path = "/service-sessions/:id",
        method = "get",
        operation_id = "get_service_session"
    )]
    async fn get(&self, auth: BearerAuth, id: Path<i32>) -> Result<Json<ServiceSession>, AppError> {
        Ok(Json(
            service_sessions::get(&self.state.db, &auth.0, id.0)
                .await?
                .into(),
        ))
    }

    /// Edit a pending session
    ///
    /// By its person or whoever logged it, under the rules of logging. Approved sessions change only
    /// through a correction.
    #[oai(
        path = "/service-sessions/:id",
        method = "patch",
        operation_id = "update_service_session"
    )]
    async fn edit(
        &self,
        auth: BearerAuth,
        id: Path<i32>,
        /// The version read, as an alternative to the body's `version`.
        #[oai(name = "If-Match")]
        if_match: poem_openapi::param::Header<Option<String>>,
        body: JsonBody<SessionPatch>,
    ) -> Result<Json<ServiceSession>, AppError> {
        let body = body.0;
        let edit = service_sessions::Edit {
            community_id: body.community_id,
            started_at: body.started_at,
            ended_at: body.ended_at,
            activity: body.activity,
            participants: body.participants,
            description: body.description,
            expected_version: super::expected_version(if_match.0.as_deref(), body.version)?,
        };
        Ok(Json(
            service_sessions::edit(&self.state.db, &auth.0, id.0, edit)
                .await?
                .into(),
        ))
    }

    /// Review a service session
    ///
    /// By the officer of the community's street or the bureau; a rejection needs a note; nobody
    /// reviews a session of their own person. The person is told by mail.
    #[oai(
        path = "/service-sessions/:id/review",
        method = "post",
        operation_id = "review_service_session"
    )]
    async fn review(
        &self,
        auth: BearerAuth,
        id: Path<i32>,
        body: JsonBody<ReviewRequest>,
    ) -> Result<Json<ServiceSession>, AppError> {
        let session = service_sessions::review(
            &self.state.db,
            &auth.0,
            id.0,
            body.decision.into(),
            body.note.as_deref(),
        )
        .await?;
        Ok(Json(session.into()))
    }

    /// Review several service sessions
    ///
    /// Each id follows the single-review rules; the answer says per id what happened.
    #[oai(
        path = "/service-sessions/review",
        method = "post",
        operation_id = "review_service_sessions"
    )]
    async fn bulk_review(
        &self,
        auth: BearerAuth,
        body: JsonBody<BulkReviewRequest>,
    ) -> Result<Json<Vec<BulkReviewResult>>, AppError> {
        let outcomes = service_sessions::review_many(
            &self.state.db,
            &auth.0,
            &body.ids,
            body.decision.into(),
            body.note.as_deref(),
        )
        .await;
        Ok(Json(
            outcomes
                .into_iter()
                .map(|(id, outcome)| BulkReviewResult::new(id, outcome))
                .collect(),
        ))
    }

    /// Withdraw a pending session
    ///
    /// By its person or whoever logged it.
    #[oai(
        path = "/service-sessions/:id/withdraw",
        method = "post",
        operation_id = "withdraw_service_session"
    )]
    async fn withdraw(
        &self,
        auth: BearerAuth,
        id: Path<i32>,
    ) -> Result<Json<ServiceSession>, AppError> {
        Ok(Json(
            service_sessions::withdraw(&self.state.db, &auth.0, id.0)
                .await?
                .into(),
        ))
    }

    /// Revoke an approved session
    ///
    /// Bureau only, with a note.
    #[oai(
        path = "/service-sessions/:id/revoke",
        method = "post",
        operation_id = "revoke_service_session"
    )]
    async fn revoke(
        &self,
        auth: BearerAuth,
        id: Path<i32>,
        body: JsonBody<RevokeRequest>,
    ) -> Result<Json<ServiceSession>, AppError> {
        Ok(Json(
            service_sessions::revoke(&self.state.db, &auth.0, id.0, &body.note)
                .await?
                .into(),
        ))
    }

    /// A person's service hours
    ///
    /// Approved and pending hours of the year (UTC+08:00), lifetime hours, the star level and
    /// whether the annual requirement is met.
    #[oai(
        path = "/people/:id/service-summary",
        method = "get",
        operation_id = "get_service_summary"
    )]
    async fn summary(
        &self,
        auth: BearerAuth,
        id: Path<i32>,
        /// Default: the current year.
        #[oai(validator(minimum(value = "1900"), maximum(value = "2099")))]
        year: Query<Option<i32>>,
    ) -> Result<Json<ServiceSummary>, AppError> {
        let summary = service_sessions::summary(&self.state.db, &auth.0, id.0, year.0).await?;
        Ok(Json(ServiceSummary {
            year: summary.year,
            approved_hours: hours(summary.approved_quarters),
            pending_hours: hours(summary.pending_quarters),
            sessions: summary.sessions,
            lifetime_hours: hours(summary.lifetime_quarters),
            star_level: summary.star_level,
            annual_requirement_hours: summary.annual_requirement_hours,
            meets_annual_requirement: summary.meets_annual_requirement(),
        }))
    }
}
