//! `/outbox`: what mail is waiting, sent or given up.

use chrono::{DateTime, Utc};
use poem_openapi::{Object, OpenApi, param::Query, payload::Json};

use super::{ApiTags, Page, auth::BearerAuth, pagination::page_request};
use crate::{
    app::AppState,
    entities::outbox,
    error::AppError,
    mail::{MailKind, MailStatus},
    services::outbox as service,
};

pub struct OutboxApi {
    state: AppState,
}

impl OutboxApi {
    pub fn new(state: &AppState) -> Self {
        Self {
            state: state.clone(),
        }
    }
}

/// A mail in the outbox. Its body is not shown: it may carry a one-time link.
#[derive(Debug, Object)]
pub struct OutboxMail {
    pub id: i64,
    pub kind: MailKind,
    pub recipient: String,
    pub subject: String,
    pub status: MailStatus,
    /// Delivery attempts so far.
    pub attempts: i32,
    /// When the next attempt is due, for pending mail.
    pub next_attempt_at: DateTime<Utc>,
    /// Why the last attempt failed.
    pub last_error: Option<String>,
    pub created_at: DateTime<Utc>,
    pub sent_at: Option<DateTime<Utc>>,
}

impl From<outbox::Model> for OutboxMail {
    fn from(m: outbox::Model) -> Self {
        Self {
            id: m.id,
            kind: m.kind,
            recipient: m.recipient,
            subject: m.subject,
            status: m.status,
            attempts: m.attempts,
            next_attempt_at: m.next_attempt_at,
            last_error: m.last_error,
            created_at: m.created_at,
            sent_at: m.sent_at,
        }
    }
}

#[OpenApi(tag = "ApiTags::Mail")]
impl OutboxApi {
    /// List the outbox
    ///
    /// Newest first; for the bureau and auditors.
    #[oai(path = "/outbox", method = "get", operation_id = "list_outbox")]
    async fn list(
        &self,
        auth: BearerAuth,
        /// Only mail in this state.
        status: Query<Option<MailStatus>>,
        /// Only mail of this kind.
        kind: Query<Option<MailKind>>,
        /// Page number, from 1 to 100000.
        #[oai(validator(minimum(value = "1"), maximum(value = "100000")))]
        page: Query<Option<u64>>,
        /// Items per page, 1 to 200 (default 50).
        #[oai(validator(minimum(value = "1"), maximum(value = "200")))]
        per_page: Query<Option<u64>>,
    ) -> Result<Json<Page<OutboxMail>>, AppError> {
        let paged = service::list(
            &self.state.db,
            &auth.0,
            status.0,
            kind.0,
            page_request(page.0, per_page.0),
        )
        .await?;
        Ok(Json(Page::from_paged(paged, OutboxMail::from)))
    }
}
