//! HTTP only: one OpenAPI struct per resource, request and response DTOs, pagination. Handlers
//! parse, call a service and shape the answer; they never build a query.

mod health;
pub mod middleware;
mod pagination;
mod policy;
mod regions;
mod sport_items;

use poem_openapi::{OpenApiService, Tags};

use crate::app::AppState;

pub use pagination::Page;

/// Path prefix of every API endpoint.
pub const API_PREFIX: &str = "/api/v1";

#[derive(Tags)]
pub enum ApiTags {
    /// Health and service information.
    System,
    /// Streets, towns and townships, and their communities and villages.
    Regions,
    /// Code tables and the bureau's policy values.
    Reference,
}

type Apis = (
    health::HealthApi,
    regions::RegionsApi,
    sport_items::SportItemsApi,
    policy::PolicyApi,
);

/// The OpenAPI service holding every endpoint.
pub fn service(state: &AppState) -> OpenApiService<Apis, ()> {
    let apis = (
        health::HealthApi::new(state),
        regions::RegionsApi::new(state),
        sport_items::SportItemsApi::new(state),
        policy::PolicyApi::new(state),
    );
    OpenApiService::new(apis, "fitreg", env!("CARGO_PKG_VERSION"))
        .description(
            "Registry of a district's sports workforce: social sports instructors, national-fitness \
             volunteers, scientific fitness instructors and community sports administrators; their \
             training, their service sessions, and whether every community is staffed. Errors are \
             RFC 9457 `application/problem+json` documents.",
        )
        .server(API_PREFIX)
}
