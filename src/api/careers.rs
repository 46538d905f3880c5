//! Instructor careers: grade eligibility and the annual work registration (工作注册).

use chrono::{DateTime, NaiveDate, Utc};
use poem_openapi::{
    ApiResponse, Object, OpenApi,
    param::{Path, Query},
    payload::Json,
};

use super::{ApiTags, Page, auth::BearerAuth, json::JsonBody, pagination::page_request};
use crate::{
    app::AppState,
    domain::{careers::RegistrationStatus, hours::hours, person::Grade},
    entities::registration,
    error::AppError,
    services::{
        eligibility::{self, Eligibility},
        registrations::{self, NewRegistration},
    },
};

pub struct CareersApi {
    state: AppState,
}

impl CareersApi {
    pub fn new(state: &AppState) -> Self {
        Self {
            state: state.clone(),
        }
    }
}

/// One condition of a grade.
#[derive(Debug, Object)]
pub struct Requirement {
    /// `age`, `certification_course`, `training_hours`, `service_sessions` (third grade) or
    /// `registered_years` (second grade and above).
    pub name: String,
    pub required: f64,
    pub actual: f64,
    pub met: bool,
    /// The rule in words.
    pub description: String,
}

/// A grade judged for a person on a day.
#[derive(Debug, Object)]
pub struct GradeEligibility {
    pub grade: Grade,
    pub as_of: NaiveDate,
    /// Whether every requirement is met.
    pub eligible: bool,
    pub requirements: Vec<Requirement>,
}

impl From<Eligibility> for GradeEligibility {
    fn from(e: Eligibility) -> Self {
        Self {
            grade: e.grade,
            as_of: e.as_of,
            eligible: e.eligible,
            requirements: e
                .requirements
                .into_iter()
                .map(|r| Requirement {
                    name: r.name,
                    required: r.required,
                    actual: r.actual,
                    met: r.met,
                    description: r.description,
                })
                .collect(),
        }
    }
}

/// A person's standing toward a grade.
#[derive(Debug, Object)]
pub struct EligibilityReport {
    pub person_id: i32,
    /// The grade of the person's active instructor qualification, if any.
    pub current_grade: Option<Grade>,
    /// The grade judged: the one asked for, else the next above `current_grade` (`third` for
    /// someone without one). Absent for a national-grade instructor when none was asked for.
    pub grade: Option<Grade>,
    pub as_of: NaiveDate,
    pub eligible: bool,
    pub requirements: Vec<Requirement>,
}

/// An annual work registration.
#[derive(Debug, Object)]
pub struct Registration {
    pub id: i32,
    pub person_id: i32,
    pub year: i32,
    pub status: RegistrationStatus,
    /// Why it was decided so.
    pub reason: String,
    /// Approved against the rule by the caller's decision; `note` says why.
    #[oai(rename = "override")]
    pub overridden: bool,
    pub note: Option<String>,
    /// The instructor grade held when registering.
    pub grade: Option<Grade>,
    /// Approved service hours in the year before.
    pub service_hours_previous_year: f64,
    pub created_by: Option<i32>,
    pub created_at: DateTime<Utc>,
}

impl From<registration::Model> for Registration {
    fn from(r: registration::Model) -> Self {
        Self {
            id: r.id,
            person_id: r.person_id,
            year: r.year,
            status: r.status,
            reason: r.reason,
            overridden: r.overridden,
            note: r.note,
            grade: r.grade,
            service_hours_previous_year: hours(r.served_quarters.into()),
            created_by: r.created_by,
            created_at: r.created_at,
        }
    }
}

#[derive(Object)]
#[oai(deny_unknown_fields)]
pub struct NewRegistrationRequest {
    /// The year registered for; open from 1 December of the year before.
    pub year: i32,
    /// Kept with the registration; required with `override`.
    #[oai(validator(max_length = 500))]
    pub note: Option<String>,
    /// Approve even if the rule is not met (an officer's decision); needs a `note`.
    #[oai(rename = "override", default)]
    pub overridden: bool,
}

#[derive(ApiResponse)]
pub enum CreatedRegistration {
    /// The registration was decided: `approved` or `rejected` with the reason.
    #[oai(status = 201)]
    Created(Json<Registration>),
}

#[OpenApi(tag = "ApiTags::People")]
impl CareersApi {
    /// Judge a person's eligibility for a grade
    ///
    /// For the next grade above the person's instructor grade (`third` when they have none), or
    /// the `grade` asked for, as of today: each requirement with `required`, `actual` and `met`.
    #[oai(
        path = "/people/:id/eligibility",
        method = "get",
        operation_id = "get_eligibility"
    )]
    async fn eligibility(
        &self,
        auth: BearerAuth,
        id: Path<i32>,
        /// Judge this grade instead of the next one.
        grade: Query<Option<Grade>>,
    ) -> Result<Json<EligibilityReport>, AppError> {
        let outlook = eligibility::outlook(&self.state.db, &auth.0, id.0, grade.0).await?;
        let judged = outlook.judged.map(GradeEligibility::from);
        Ok(Json(EligibilityReport {
            person_id: outlook.person_id,
            current_grade: outlook.current_grade,
            grade: judged.as_ref().map(|j| j.grade),
            as_of: judged
                .as_ref()
                .map_or_else(crate::domain::time::today, |j| j.as_of),
            eligible: judged.as_ref().is_some_and(|j| j.eligible),
            requirements: judged.map(|j| j.requirements).unwrap_or_default(),
        }))
    }

    /// Register an instructor for a year (工作注册)
    ///
    /// By the officer of the person's street or the bureau. Approved when the person held an
    /// active instructor qualification during the year and served the policy's
    /// `instructor_annual_hours` of approved service in the year before; otherwise `rejected` with
    /// the reason, unless `override` is set with a `note`. One registration per person and year
    /// (409).
    #[oai(
        path = "/people/:id/registrations",
        method = "post",
        operation_id = "create_registration"
    )]
    async fn register(
        &self,
        auth: BearerAuth,
        id: Path<i32>,
        body: JsonBody<NewRegistrationRequest>,
    ) -> Result<CreatedRegistration, AppError> {
        let body = body.0;
        let new = NewRegistration {
            year: body.year,
            note: body.note,
            overridden: body.overridden,
        };
        let created = registrations::register(&self.state.db, &auth.0, id.0, new).await?;
        Ok(CreatedRegistration::Created(Json(created.into())))
    }

    /// List a person's registrations
    ///
    /// Latest year first.
    #[oai(
        path = "/people/:id/registrations",
        method = "get",
        operation_id = "list_registrations"
    )]
    async fn list(
        &self,
        auth: BearerAuth,
        id: Path<i32>,
        /// Page number, from 1 to 100000.
        #[oai(validator(minimum(value = "1"), maximum(value = "100000")))]
        page: Query<Option<u64>>,
        /// Items per page, 1 to 200 (default 50).
        #[oai(validator(minimum(value = "1"), maximum(value = "200")))]
        per_page: Query<Option<u64>>,
    ) -> Result<Json<Page<Registration>>, AppError> {
        let paged = registrations::list(
            &self.state.db,
            &auth.0,
            id.0,
            page_request(page.0, per_page.0),
        )
        .await?;
        Ok(Json(Page::from_paged(paged, Registration::from)))
    }
}
