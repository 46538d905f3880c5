//! Check-in and check-out, corrections of approved sessions, and a session's history.

use chrono::{DateTime, Utc};
use poem_openapi::{ApiResponse, Enum, Object, OpenApi, param::Path, payload::Json};

use super::{ApiTags, auth::BearerAuth, json::JsonBody, service_sessions::ServiceSession};
use crate::{
    app::AppState,
    entities::{session_correction, session_history},
    error::AppError,
    services::service_sessions::{self, Correction},
};

pub struct SessionChangesApi {
    state: AppState,
}

impl SessionChangesApi {
    pub fn new(state: &AppState) -> Self {
        Self {
            state: state.clone(),
        }
    }
}

#[derive(Object)]
#[oai(deny_unknown_fields)]
pub struct CheckInRequest {
    pub community_id: i32,
    /// A sport item code.
    #[oai(validator(max_length = 64))]
    pub activity: String,
}

#[derive(Object)]
#[oai(deny_unknown_fields)]
pub struct CheckOutRequest {
    /// People served.
    pub participants: Option<i32>,
    #[oai(validator(max_length = 4000))]
    pub description: Option<String>,
}

/// The fields to correct, and why.
#[derive(Object)]
#[oai(deny_unknown_fields)]
pub struct CorrectionRequest {
    pub started_at: Option<DateTime<Utc>>,
    pub ended_at: Option<DateTime<Utc>>,
    #[oai(validator(max_length = 64))]
    pub activity: Option<String>,
    pub participants: Option<i32>,
    #[oai(validator(max_length = 4000))]
    pub description: Option<String>,
    #[oai(validator(max_length = 2000))]
    pub reason: String,
}

/// A requested correction of an approved session.
#[derive(Object)]
pub struct SessionCorrection {
    pub id: i32,
    pub session_id: i32,
    pub requested_by: Option<i32>,
    pub reason: String,
    /// The fields to change and their new values.
    pub changes: serde_json::Value,
    /// `pending`, `accepted` or `rejected`.
    pub status: String,
    pub reviewed_by: Option<i32>,
    pub reviewed_at: Option<DateTime<Utc>>,
    pub review_note: Option<String>,
    pub created_at: DateTime<Utc>,
}

impl From<session_correction::Model> for SessionCorrection {
    fn from(c: session_correction::Model) -> Self {
        Self {
            id: c.id,
            session_id: c.session_id,
            requested_by: c.requested_by,
            reason: c.reason,
            changes: serde_json::from_str(&c.changes).unwrap_or_default(),
            status: c.status,
            reviewed_by: c.reviewed_by,
            reviewed_at: c.reviewed_at,
            review_note: c.review_note,
            created_at: c.created_at,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
#[oai(rename_all = "snake_case")]
pub enum CorrectionDecision {
    Accept,
    Reject,
}

#[derive(Object)]
#[oai(deny_unknown_fields)]
pub struct CorrectionReviewRequest {
    pub decision: CorrectionDecision,
    /// Required to reject.
    #[oai(validator(max_length = 2000))]
    pub note: Option<String>,
}

/// One change of a session, with the values before and after.
#[derive(Object)]
pub struct HistoryEntry {
    pub id: i32,
    /// `approve`, `reject`, `withdraw`, `revoke`, `check_out`, `auto_close` or `correct`.
    pub action: String,
    pub changed_by: Option<i32>,
    pub changed_at: DateTime<Utc>,
    pub reason: Option<String>,
    pub before: serde_json::Value,
    pub after: serde_json::Value,
}

impl From<session_history::Model> for HistoryEntry {
    fn from(h: session_history::Model) -> Self {
        Self {
            id: h.id,
            action: h.action,
            changed_by: h.changed_by,
            changed_at: h.changed_at,
            reason: h.reason,
            before: serde_json::from_str(&h.before).unwrap_or_default(),
            after: serde_json::from_str(&h.after).unwrap_or_default(),
        }
    }
}

#[derive(ApiResponse)]
pub enum CheckedIn {
    /// The session is open.
    #[oai(status = 201)]
    Created(Json<ServiceSession>),
}

#[derive(ApiResponse)]
pub enum CorrectionFiled {
    /// The correction waits for the session's reviewer.
    #[oai(status = 201)]
    Created(Json<SessionCorrection>),
}

#[OpenApi(tag = "ApiTags::ServiceSessions")]
impl SessionChangesApi {
    /// Check in
    ///
    /// A member opens a session at the server's clock. A session left open for 12 hours is closed
    /// at its 12th hour and flagged `needs_attention`.
    #[oai(
        path = "/service-sessions/check-in",
        method = "post",
        operation_id = "check_in"
    )]
    async fn check_in(
        &self,
        auth: BearerAuth,
        body: JsonBody<CheckInRequest>,
    ) -> Result<CheckedIn, AppError> {
        let session =
            service_sessions::check_in(&self.state.db, &auth.0, body.community_id, &body.activity)
                .await?;
        Ok(CheckedIn::Created(Json(session.into())))
    }

    /// Check out
    ///
    /// Closes the caller's open session now.
    #[oai(
        path = "/service-sessions/:id/check-out",
        method = "post",
        operation_id = "check_out"
    )]
    async fn check_out(
        &self,
        auth: BearerAuth,
        id: Path<i32>,
        body: JsonBody<CheckOutRequest>,
    ) -> Result<Json<ServiceSession>, AppError> {
        let body = body.0;
        let session = service_sessions::check_out(
            &self.state.db,
            &auth.0,
            id.0,
            body.participants,
            body.description,
        )
        .await?;
        Ok(Json(session.into()))
    }

    /// Ask for a correction
    ///
    /// Of an approved session, by its person or an officer; its reviewer accepts or rejects it.
    #[oai(
        path = "/service-sessions/:id/corrections",
        method = "post",
        operation_id = "request_correction"
    )]
    async fn request_correction(
        &self,
        auth: BearerAuth,
        id: Path<i32>,
        body: JsonBody<CorrectionRequest>,
    ) -> Result<CorrectionFiled, AppError> {
        let body = body.0;
        let correction = Correction {
            started_at: body.started_at,
            ended_at: body.ended_at,
            activity: body.activity,
            participants: body.participants,
            description: body.description,
            reason: body.reason,
        };
        let filed =
            service_sessions::request_correction(&self.state.db, &auth.0, id.0, correction).await?;
        Ok(CorrectionFiled::Created(Json(filed.into())))
    }

    /// Accept or reject a correction
    ///
    /// Accepting changes the session and keeps the old values in its history; the person is told
    /// by mail. A rejection needs a note.
    #[oai(
        path = "/corrections/:id/review",
        method = "post",
        operation_id = "review_correction"
    )]
    async fn review_correction(
        &self,
        auth: BearerAuth,
        id: Path<i32>,
        body: JsonBody<CorrectionReviewRequest>,
    ) -> Result<Json<SessionCorrection>, AppError> {
        let accept = body.decision == CorrectionDecision::Accept;
        let reviewed = service_sessions::review_correction(
            &self.state.db,
            &auth.0,
            id.0,
            accept,
            body.note.as_deref(),
        )
        .await?;
        Ok(Json(reviewed.into()))
    }

    /// A session's history
    ///
    /// Every change after it was logged, oldest first.
    #[oai(
        path = "/service-sessions/:id/history",
        method = "get",
        operation_id = "get_service_session_history"
    )]
    async fn history(
        &self,
        auth: BearerAuth,
        id: Path<i32>,
    ) -> Result<Json<Vec<HistoryEntry>>, AppError> {
        let entries = service_sessions::history(&self.state.db, &auth.0, id.0).await?;
        Ok(Json(entries.into_iter().map(HistoryEntry::from).collect()))
    }
}
