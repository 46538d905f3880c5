//! The bureau's policy values: `/policy`.

use chrono::{DateTime, Utc};
use poem_openapi::{Object, OpenApi, param::Header, payload::Json};
use sea_orm::DatabaseConnection;

use super::{ApiTags, auth::BearerAuth, expected_version, json::JsonBody};
use crate::{
    app::AppState,
    domain::policy::Policy,
    error::AppError,
    services::policy::{self, VersionedPolicy},
};

pub struct PolicyApi {
    db: DatabaseConnection,
}

impl PolicyApi {
    pub fn new(state: &AppState) -> Self {
        Self {
            db: state.db.clone(),
        }
    }
}

/// The policy values in force, with the version to send back with an update.
#[derive(Debug, Object)]
pub struct PolicyDocument {
    #[oai(flatten)]
    pub policy: Policy,
    /// Optimistic-lock version of the whole document.
    pub version: i64,
    /// When a value last changed.
    pub updated_at: DateTime<Utc>,
}

impl From<VersionedPolicy> for PolicyDocument {
    fn from(v: VersionedPolicy) -> Self {
        Self {
            policy: v.policy,
            version: v.version,
            updated_at: v.updated_at,
        }
    }
}

/// A complete policy document to put in force: every value is required.
#[derive(Debug, Object)]
pub struct PolicyUpdate {
    #[oai(flatten)]
    pub policy: Policy,
    /// The version read; a stale one gets 409. `If-Match` works too.
    pub version: Option<i64>,
}

#[OpenApi(tag = "ApiTags::Reference")]
impl PolicyApi {
    /// Get the policy
    ///
    /// The numbers DOMAIN.md marks as policy (minimum age, annual hours, training hours per
    /// grade, star thresholds, density target), as the bureau has set them.
    #[oai(path = "/policy", method = "get", operation_id = "get_policy")]
    async fn get_policy(&self, _auth: BearerAuth) -> Result<Json<PolicyDocument>, AppError> {
        Ok(Json(policy::get(&self.db).await?.into()))
    }

    /// Replace the policy
    ///
    /// Bureau only. Every value is checked (422 naming the field); the rules read the new values
    /// from the next request on.
    #[oai(path = "/policy", method = "put", operation_id = "update_policy")]
    async fn update_policy(
        &self,
        auth: BearerAuth,
        /// The version read, as an alternative to the body's `version`.
        #[oai(name = "If-Match")]
        if_match: Header<Option<String>>,
        body: JsonBody<PolicyUpdate>,
    ) -> Result<Json<PolicyDocument>, AppError> {
        let body = body.0;
        let expected = expected_version(if_match.0.as_deref(), body.version)?;
        Ok(Json(
            policy::update(&self.db, &auth.0, body.policy, expected)
                .await?
                .into(),
        ))
    }
}
