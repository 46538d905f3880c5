//! `/audit-log`: the record of every change, for the bureau and auditors.

use chrono::{DateTime, NaiveDate, Utc};
use poem_openapi::{Object, OpenApi, param::Query, payload::Json};

use super::{ApiTags, Page, auth::BearerAuth, pagination::page_request};
use crate::{
    app::AppState,
    domain::time::start_of_day,
    entities::audit_log,
    error::AppError,
    services::audit::{self, AuditFilter},
};

pub struct AuditApi {
    state: AppState,
}

impl AuditApi {
    pub fn new(state: &AppState) -> Self {
        Self {
            state: state.clone(),
        }
    }
}

/// One recorded change.
#[derive(Debug, Object)]
pub struct AuditEntry {
    pub id: i64,
    pub at: DateTime<Utc>,
    /// The account that made the change; absent for the system itself.
    pub actor_id: Option<i32>,
    /// e.g. `create`, `update`, `login`, `read_id_number`.
    pub action: String,
    /// e.g. `account`, `community`, `policy`.
    pub entity: String,
    pub entity_id: Option<String>,
    /// The record before the change.
    pub before: Option<serde_json::Value>,
    /// The record after the change.
    pub after: Option<serde_json::Value>,
    /// The request that made the change.
    pub request_id: Option<String>,
    /// Hash of the previous entry of the same chain.
    pub prev_hash: String,
    /// SHA-256 over this entry and `prev_hash`.
    pub hash: String,
    /// The hash chain the entry belongs to (0-15): on PostgreSQL entries are chained per actor
    /// in 16 chains side by side, each checked by `GET /audit-log/verify`; on SQLite all are in 0.
    pub chain: i16,
}

impl From<audit_log::Model> for AuditEntry {
    fn from(e: audit_log::Model) -> Self {
        let json = |text: Option<String>| text.and_then(|t| serde_json::from_str(&t).ok());
        Self {
            id: e.id,
            at: e.at,
            actor_id: e.actor_id,
            action: e.action,
            entity: e.entity,
            entity_id: e.entity_id,
            before: json(e.before),
            after: json(e.after),
            request_id: e.request_id,
            prev_hash: e.prev_hash,
            hash: e.hash,
            chain: e.chain,
        }
    }
}

/// Whether the hash chain is intact.
#[derive(Debug, Object)]
pub struct AuditVerification {
    pub intact: bool,
    /// How many entries were checked.
    pub checked: u64,
    /// The first entry that does not match its hash or its predecessor.
    pub first_broken_id: Option<i64>,
}

#[OpenApi(tag = "ApiTags::Audit")]
impl AuditApi {
    /// List audit entries
    ///
    /// Newest first. `from` and `to` take an RFC 3339 instant or a date (a whole district day,
    /// UTC+08:00; `to` includes that day).
    #[oai(path = "/audit-log", method = "get", operation_id = "list_audit_log")]
    async fn list(
        &self,
        auth: BearerAuth,
        /// Only entries about this kind of record, e.g. `account`.
        #[oai(validator(max_length = 64))]
        entity: Query<Option<String>>,
        /// Only entries about this record id.
        #[oai(validator(max_length = 64))]
        entity_id: Query<Option<String>>,
        /// Only changes made by this account.
        actor_id: Query<Option<i32>>,
        /// Only this action, e.g. `update`.
        #[oai(validator(max_length = 64))]
        action: Query<Option<String>>,
        /// From this instant or date on.
        from: Query<Option<String>>,
        /// Up to this instant (exclusive) or through this date.
        to: Query<Option<String>>,
        /// Page number, from 1 to 100000.
        #[oai(validator(minimum(value = "1"), maximum(value = "100000")))]
        page: Query<Option<u64>>,
        /// Items per page, 1 to 200 (default 50).
        #[oai(validator(minimum(value = "1"), maximum(value = "200")))]
        per_page: Query<Option<u64>>,
    ) -> Result<Json<Page<AuditEntry>>, AppError> {
        let filter = AuditFilter {
            entity: entity.0,
            entity_id: entity_id.0,
            actor_id: actor_id.0,
            action: action.0,
            from: from
                .0
                .as_deref()
                .map(|v| parse_bound("from", v, false))
                .transpose()?,
            to: to
                .0
                .as_deref()
                .map(|v| parse_bound("to", v, true))
                .transpose()?,
        };
        let paged = audit::list(
            &self.state.db,
            &auth.0,
            &filter,
            page_request(page.0, per_page.0),
        )
        .await?;
        Ok(Json(Page::from_paged(paged, AuditEntry::from)))
    }

    /// Verify the audit chain
    ///
    /// Recomputes every entry's hash and checks that each links to the one before it.
    #[oai(
        path = "/audit-log/verify",
        method = "get",
        operation_id = "verify_audit_log"
    )]
    async fn verify(&self, auth: BearerAuth) -> Result<Json<AuditVerification>, AppError> {
        let v = audit::verify(&self.state.db, &auth.0).await?;
        Ok(Json(AuditVerification {
            intact: v.intact,
            checked: v.checked,
            first_broken_id: v.first_broken_id,
        }))
    }
}

/// An RFC 3339 instant, or a district date; an end date covers its whole day.
fn parse_bound(field: &str, value: &str, end: bool) -> Result<DateTime<Utc>, AppError> {
    if let Ok(instant) = DateTime::parse_from_rfc3339(value) {
        let instant = instant.with_timezone(&Utc);
        return crate::domain::time::check_instant(field, instant)
            .map_err(AppError::bad_request_of);
    }
    let date = NaiveDate::parse_from_str(value, "%Y-%m-%d").map_err(|_| {
        AppError::bad_request(
            field,
            "date.format",
            "expected YYYY-MM-DD or an RFC 3339 instant",
        )
    })?;
    let date = crate::domain::time::check_date(field, date).map_err(AppError::bad_request_of)?;
    let day = if end {
        date.succ_opt().unwrap_or(date)
    } else {
        date
    };
    Ok(start_of_day(day))
}
