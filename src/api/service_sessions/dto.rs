//! The service-session endpoints' request and response bodies.

use chrono::{DateTime, Utc};
use poem_openapi::{ApiResponse, Enum, Object, payload::Json};

use crate::{
    domain::{
        hours::hours,
        person::{SessionSource, SessionStatus},
    },
    entities::service_session,
    error::AppError,
    services::service_sessions::Decision,
};

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
    pub(super) fn new(id: i32, outcome: Result<service_session::Model, AppError>) -> Self {
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
