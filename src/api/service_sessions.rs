//! `/service-sessions`: logging, listing, reviewing, withdrawing and revoking service sessions,
//! and `/people/{id}/service-summary`.

use chrono::{DateTime, Utc};
use poem_openapi::{
    ApiResponse, Enum, Object, OpenApi,
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
    entities::service_session,
    error::AppError,
    services::service_sessions::{self, Created, Decision, Idempotency, NewSession, SessionFilter},
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

/// A service session.
#[derive(Debug, Object)]
pub struct ServiceSession {
    pub id: i32,
    pub person_id: i32,
    pub community_id: i32,
    pub started_at: DateTime<Utc>,
    pub ended_at: Option<DateTime<Utc>>,
    /// A sport item code.
    pub activity: String,
    pub participants: i32,
    pub description: String,
    pub status: SessionStatus,
    /// Hours served, rounded down to the quarter hour.
    pub hours: f64,
    pub source: SessionSource,
    /// Closed automatically after 12 hours, to be checked by the reviewer.
    pub needs_attention: bool,
    pub reviewed_by: Option<i32>,
    pub reviewed_at: Option<DateTime<Utc>>,
    pub review_note: Option<String>,
    pub created_by: Option<i32>,
    pub created_at: DateTime<Utc>,
    pub version: i32,
}

impl From<service_session::Model> for ServiceSession {
    fn from(s: service_session::Model) -> Self {
        Self {
            id: s.id,
            person_id: s.person_id,
            community_id: s.community_id,
            started_at: s.started_at,
            ended_at: s.ended_at,
            activity: s.activity,
            participants: s.participants,
            description: s.description,
            status: s.status,
            hours: hours(i64::from(s.quarters)),
            source: SessionSource::parse(&s.source).unwrap_or(SessionSource::Staff),
            needs_attention: s.needs_attention,
            reviewed_by: s.reviewed_by,
            reviewed_at: s.reviewed_at,
            review_note: s.review_note,
            created_by: s.created_by,
            created_at: s.created_at,
            version: s.version,
        }
    }
}

/// A session to log.
#[derive(Object)]
#[oai(deny_unknown_fields)]
pub struct NewSessionRequest {
    /// Members may omit it: their own person.
    pub person_id: Option<i32>,
    pub community_id: i32,
    pub started_at: DateTime<Utc>,
    /// After `started_at`, at most 12 hours later, not in the future.
    pub ended_at: DateTime<Utc>,
    /// A sport item code.
    #[oai(validator(max_length = 64))]
    pub activity: String,
    /// People served.
    #[oai(default)]
    pub participants: i32,
    #[oai(default, validator(max_length = 4000))]
    pub description: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
#[oai(rename_all = "snake_case")]
pub enum ReviewDecision {
    Approve,
    Reject,
}

impl From<ReviewDecision> for Decision {
    fn from(d: ReviewDecision) -> Self {
        match d {
            ReviewDecision::Approve => Decision::Approve,
            ReviewDecision::Reject => Decision::Reject,
        }
    }
}

#[derive(Object)]
#[oai(deny_unknown_fields)]
pub struct ReviewRequest {
    pub decision: ReviewDecision,
    /// Required to reject.
    #[oai(validator(max_length = 2000))]
    pub note: Option<String>,
}

#[derive(Object)]
#[oai(deny_unknown_fields)]
pub struct BulkReviewRequest {
    #[oai(validator(min_items = 1, max_items = 200))]
    pub ids: Vec<i32>,
    pub decision: ReviewDecision,
    #[oai(validator(max_length = 2000))]
    pub note: Option<String>,
}

/// The outcome for one id of a bulk review.
#[derive(Object)]
pub struct BulkReviewResult {
    pub id: i32,
    /// The HTTP status a single review would have answered.
    pub status: u16,
    pub session: Option<ServiceSession>,
    pub error: Option<String>,
}

#[derive(Object)]
#[oai(deny_unknown_fields)]
pub struct RevokeRequest {
    #[oai(validator(max_length = 2000))]
    pub note: String,
}

/// A person's hours.
#[derive(Object)]
pub struct ServiceSummary {
    pub year: i32,
    pub approved_hours: f64,
    pub pending_hours: f64,
    /// Approved sessions in the year.
    pub sessions: u64,
    pub lifetime_hours: f64,
    /// 0-5, from the policy's star thresholds and the lifetime hours.
    pub star_level: u8,
    /// The yearly hours the person's kind asks for (policy); null when the person holds neither an
    /// instructor nor a volunteer qualification.
    pub annual_requirement_hours: Option<f64>,
    pub meets_annual_requirement: Option<bool>,
}

impl BulkReviewResult {
    fn new(id: i32, outcome: Result<service_session::Model, AppError>) -> Self {
        match outcome {
            Ok(session) => Self {
                id,
                status: 200,
                session: Some(session.into()),
                error: None,
            },
            Err(err) => {
                let problem = err.problem();
                Self {
                    id,
                    status: problem.status,
                    session: None,
                    error: Some(problem.detail),
                }
            }
        }
    }
}

/// Changes to a pending session; absent fields stay as they are.
#[derive(Object)]
#[oai(deny_unknown_fields)]
pub struct SessionPatch {
    pub community_id: Option<i32>,
    pub started_at: Option<DateTime<Utc>>,
    pub ended_at: Option<DateTime<Utc>>,
    #[oai(validator(max_length = 64))]
    pub activity: Option<String>,
    pub participants: Option<i32>,
    #[oai(validator(max_length = 4000))]
    pub description: Option<String>,
    /// The version read; a stale one gets 409. `If-Match` works too.
    pub version: Option<i64>,
}

#[derive(ApiResponse)]
pub enum CreatedSession {
    /// The session was logged (or, for a repeated `Idempotency-Key`, had been).
    #[oai(status = 201)]
    Created(Json<ServiceSession>),
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
