//! The application: shared state and the routes, used by `serve` and by the tests alike.

use std::sync::Arc;

use poem::{EndpointExt, Response, Route, endpoint::BoxEndpoint};
use sea_orm::DatabaseConnection;

use crate::{api, config::Config};

/// What every request handler can reach.
#[derive(Clone)]
pub struct AppState {
    pub db: DatabaseConnection,
    pub config: Arc<Config>,
}

/// Builds the HTTP application: the API under `/api/v1`, its OpenAPI document at
/// `/api/v1/openapi.json` and Swagger UI at `/docs`.
pub fn build_app(state: AppState) -> BoxEndpoint<'static, Response> {
    let api = api::service(&state);
    let spec = api.spec_endpoint();
    let docs = api.swagger_ui();
    Route::new()
        .at(format!("{}/openapi.json", api::API_PREFIX), spec)
        .nest(api::API_PREFIX, api)
        .nest("/docs", docs)
        .around(api::middleware::request_context)
        .boxed()
}
