//! HTTP only: one OpenAPI struct per resource, request and response DTOs, pagination. Handlers
//! parse, call a service and shape the answer; they never build a query.

// An operation takes one argument per query parameter, so list endpoints have many.
#![allow(clippy::too_many_arguments)]

mod accounts;
mod assignments;
mod audit;
pub mod auth;
mod careers;
mod certificates;
mod courses;
mod coverage;
pub mod document;
pub(crate) mod files;
mod health;
mod json;
pub mod middleware;
mod outbox;
mod pagination;
mod params;
mod people;
mod people_files;
mod policy;
mod regions;
mod service_sessions;
mod session_changes;
mod sport_items;
mod training;

use poem_openapi::{OpenApiService, Tags};

use crate::{app::AppState, error::AppError};

pub use pagination::Page;

/// Path prefix of every API endpoint.
pub const API_PREFIX: &str = "/api/v1";

#[derive(Tags)]
pub enum ApiTags {
    /// Health and service information.
    System,
    /// Logging in and out, and the caller's own account.
    Auth,
    /// Accounts of the bureau, street offices, members and auditors.
    Accounts,
    /// Streets, towns and townships, and their communities and villages.
    Regions,
    /// Code tables and the bureau's policy values.
    Reference,
    /// The hash-chained record of every change.
    Audit,
    /// Mail waiting for delivery, sent, or given up.
    Mail,
    /// Instructors, volunteers and administrators, and their qualifications.
    People,
    /// Who serves which community in which role.
    Assignments,
    /// Whether every community has a sports administrator.
    Coverage,
    /// Service sessions people ran, their review, and the hours they add up to.
    ServiceSessions,
    /// Training courses, enrolments, results and training records (学时).
    Training,
}

/// Every endpoint, grouped (poem-openapi implements `OpenApi` for tuples of up to 16).
type Apis = (
    (
        health::HealthApi,
        auth::AuthApi,
        accounts::AccountsApi,
        regions::RegionsApi,
        sport_items::SportItemsApi,
        policy::PolicyApi,
        audit::AuditApi,
        outbox::OutboxApi,
    ),
    (
        people_files::PeopleFilesApi,
        people::PeopleApi,
        people::QualificationsApi,
        assignments::AssignmentsApi,
        coverage::CoverageApi,
    ),
    (
        service_sessions::ServiceSessionsApi,
        session_changes::SessionChangesApi,
        certificates::CertificatesApi,
    ),
    (
        courses::CoursesApi,
        training::TrainingApi,
        careers::CareersApi,
    ),
);

/// The OpenAPI service holding every endpoint.
pub fn service(state: &AppState) -> OpenApiService<Apis, ()> {
    let apis = (
        (
            health::HealthApi::new(state),
            auth::AuthApi::new(state),
            accounts::AccountsApi::new(state),
            regions::RegionsApi::new(state),
            sport_items::SportItemsApi::new(state),
            policy::PolicyApi::new(state),
            audit::AuditApi::new(state),
            outbox::OutboxApi::new(state),
        ),
        (
            people_files::PeopleFilesApi::new(state),
            people::PeopleApi::new(state),
            people::QualificationsApi::new(state),
            assignments::AssignmentsApi::new(state),
            coverage::CoverageApi::new(state),
        ),
        (
            service_sessions::ServiceSessionsApi::new(state),
            session_changes::SessionChangesApi::new(state),
            certificates::CertificatesApi::new(state),
        ),
        (
            courses::CoursesApi::new(state),
            training::TrainingApi::new(state),
            careers::CareersApi::new(state),
        ),
    );
    OpenApiService::new(apis, "fitreg", env!("CARGO_PKG_VERSION"))
        .description(
            "Registry of a district's sports workforce: social sports instructors, national-fitness \
             volunteers, scientific fitness instructors and community sports administrators; their \
             training, their service sessions, and whether every community is staffed. Every \
             endpoint but health, login and the documents needs `Authorization: Bearer <token>`. \
             Errors are RFC 9457 `application/problem+json` documents.",
        )
        .server(API_PREFIX)
}

/// The version an update expects, from `If-Match` (`"3"`, `W/"3"` or `3`) or the body.
pub fn expected_version(
    if_match: Option<&str>,
    body: Option<i64>,
) -> Result<Option<i64>, AppError> {
    let header = if_match
        .map(|raw| {
            let value = raw.trim().trim_start_matches("W/").trim_matches('"');
            value.parse::<i64>().map_err(|_| {
                AppError::bad_request(
                    "If-Match",
                    "version.format",
                    "must be a version number, e.g. \"3\"",
                )
            })
        })
        .transpose()?;
    match (header, body) {
        (Some(h), Some(b)) if h != b => Err(AppError::bad_request(
            "version",
            "version.mismatch",
            "differs from the If-Match header",
        )),
        (h, b) => Ok(h.or(b)),
    }
}
