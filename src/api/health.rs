//! `GET /health`.

use poem_openapi::{ApiResponse, Object, OpenApi, payload::Json};
use sea_orm::DatabaseConnection;

use super::ApiTags;
use crate::{app::AppState, db};

pub struct HealthApi {
    db: DatabaseConnection,
}

impl HealthApi {
    pub fn new(state: &AppState) -> Self {
        Self {
            db: state.db.clone(),
        }
    }
}

/// Whether the service and its database answer.
#[derive(Debug, Object)]
pub struct Health {
    /// `ok`, or `unavailable` when the database does not answer.
    pub status: String,
    /// The database backend: `sqlite` or `postgres`.
    pub database: String,
    /// The service version.
    pub version: String,
}

#[derive(ApiResponse)]
pub enum HealthResponse {
    /// The service and its database answer.
    #[oai(status = 200)]
    Ok(Json<Health>),
    /// The database does not answer.
    #[oai(status = 503)]
    Unavailable(Json<Health>),
}

#[OpenApi(tag = "ApiTags::System")]
impl HealthApi {
    /// Service health
    ///
    /// Checks that the database answers. Open to everyone, for load balancers and monitoring.
    #[oai(path = "/health", method = "get", operation_id = "get_health")]
    async fn health(&self) -> HealthResponse {
        let reachable = self.db.ping().await.is_ok();
        let health = Health {
            status: if reachable { "ok" } else { "unavailable" }.to_owned(),
            database: db::backend_name(&self.db).to_owned(),
            version: env!("CARGO_PKG_VERSION").to_owned(),
        };
        if reachable {
            HealthResponse::Ok(Json(health))
        } else {
            HealthResponse::Unavailable(Json(health))
        }
    }
}
