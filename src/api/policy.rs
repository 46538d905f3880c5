//! The bureau's policy values: `/policy`.

use chrono::{DateTime, Utc};
use poem_openapi::{Object, OpenApi, payload::Json};
use sea_orm::DatabaseConnection;

use super::ApiTags;
use crate::{app::AppState, domain::policy::Policy, error::AppError, services::policy};

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

#[OpenApi(tag = "ApiTags::Reference")]
impl PolicyApi {
    /// Get the policy
    ///
    /// The numbers DOMAIN.md marks as policy (minimum age, annual hours, training hours per
    /// grade, star thresholds, density target), as the bureau has set them.
    #[oai(path = "/policy", method = "get", operation_id = "get_policy")]
    async fn get_policy(&self) -> Result<Json<PolicyDocument>, AppError> {
        let current = policy::get(&self.db).await?;
        Ok(Json(PolicyDocument {
            policy: current.policy,
            version: current.version,
            updated_at: current.updated_at,
        }))
    }
}
