//! Enrolments in courses, their results and sign-in sheets, and a person's training record.

use std::collections::BTreeMap;

use chrono::{DateTime, NaiveDate, Utc};
use poem::{IntoResponse, Response};
use poem_openapi::{
    ApiResponse, Object, OpenApi,
    param::{Path, Query},
    payload::Json,
    registry::{MetaResponses, Registry},
};

use super::{
    ApiTags, Page,
    auth::BearerAuth,
    files::{ExportFile, ExportFormat},
    json::JsonBody,
    pagination::page_request,
};
use crate::{
    app::AppState,
    domain::{
        hours::hours,
        person::{Grade, QualificationKind},
        training::{CourseKind, CourseStatus, EnrollmentStatus, TrainingResult},
    },
    error::AppError,
    services::{
        enrollment_export,
        enrollments::{self, EnrollmentView, NewResult},
        people_export::Format,
        training::{self, Transcript},
    },
};

pub struct TrainingApi {
    state: AppState,
}

impl TrainingApi {
    pub fn new(state: &AppState) -> Self {
        Self {
            state: state.clone(),
        }
    }
}

/// A person's seat in a course, and how they finished it.
#[derive(Debug, Object)]
pub struct Enrollment {
    pub id: i32,
    pub course_id: i32,
    pub person_id: i32,
    pub person_name: String,
    /// The street the person is registered in.
    pub street_id: i32,
    pub status: EnrollmentStatus,
    pub enrolled_at: DateTime<Utc>,
    pub withdrawn_at: Option<DateTime<Utc>>,
    /// How the person finished, once recorded.
    pub result: Option<TrainingResult>,
    /// Credited hours (学时), never more than the course's hours.
    pub credited_hours: Option<f64>,
    pub score: Option<f64>,
    pub result_at: Option<DateTime<Utc>>,
    pub version: i32,
}

impl From<EnrollmentView> for Enrollment {
    fn from(view: EnrollmentView) -> Self {
        let e = view.enrollment;
        Self {
            id: e.id,
            course_id: e.course_id,
            person_id: e.person_id,
            person_name: view.person.name,
            street_id: view.person.street_id,
            status: e.status,
            enrolled_at: e.enrolled_at,
            withdrawn_at: e.withdrawn_at,
            result: e.result,
            credited_hours: e.credited_quarters.map(|q| hours(q.into())),
            score: e.score,
            result_at: e.result_at,
            version: e.version,
        }
    }
}

#[derive(Object)]
#[oai(deny_unknown_fields)]
pub struct EnrollRequest {
    /// The person to seat: one of the caller's street for an officer.
    pub person_id: i32,
}

#[derive(Object)]
#[oai(deny_unknown_fields)]
pub struct ResultRequest {
    pub status: TrainingResult,
    /// In steps of 0.25, at most the course's hours; defaults to the course's hours when
    /// `completed` and to 0 otherwise. An absent person is credited none.
    pub credited_hours: Option<f64>,
    /// 0 to 100.
    pub score: Option<f64>,
}

/// One person's row of a class's results.
#[derive(Object)]
#[oai(deny_unknown_fields)]
pub struct ClassResult {
    pub person_id: i32,
    pub status: TrainingResult,
    /// As for one person: steps of 0.25, at most the course's hours, defaulting to them when
    /// `completed` and to 0 otherwise.
    pub credited_hours: Option<f64>,
    /// 0 to 100.
    pub score: Option<f64>,
}

/// The results of a whole class, recorded together.
#[derive(Object)]
#[oai(deny_unknown_fields)]
pub struct ClassResultsRequest {
    /// One row per enrolled person, each person once.
    #[oai(validator(min_items = 1, max_items = 10000))]
    pub results: Vec<ClassResult>,
}

/// The seats as recorded.
#[derive(Object)]
pub struct ClassResults {
    pub items: Vec<Enrollment>,
}

/// One course on a person's training record.
#[derive(Debug, Object)]
pub struct TranscriptItem {
    pub course_id: i32,
    pub title: String,
    pub kind: CourseKind,
    pub target_role: QualificationKind,
    pub target_grade: Option<Grade>,
    pub organizer: String,
    pub starts_on: NaiveDate,
    pub ends_on: NaiveDate,
    /// The course's hours.
    pub course_hours: f64,
    pub course_status: CourseStatus,
    pub result: Option<TrainingResult>,
    pub credited_hours: Option<f64>,
    pub score: Option<f64>,
}

/// A person's training record (学时).
#[derive(Debug, Object)]
pub struct TrainingRecord {
    pub person_id: i32,
    /// Credited hours of every recorded result.
    pub total_hours: f64,
    /// Credited hours per calendar year in which the course ended, e.g. `{"2026": 32.5}`.
    pub by_year: BTreeMap<String, f64>,
    /// The courses the person holds a seat in, latest first.
    pub items: Vec<TranscriptItem>,
}

impl From<Transcript> for TrainingRecord {
    fn from(t: Transcript) -> Self {
        Self {
            person_id: t.person_id,
            total_hours: hours(t.total_quarters),
            by_year: t
                .by_year
                .into_iter()
                .map(|(year, quarters)| (year.to_string(), hours(quarters)))
                .collect(),
            items: t
                .items
                .into_iter()
                .map(|(seat, course)| TranscriptItem {
                    course_id: course.id,
                    title: course.title,
                    kind: course.kind,
                    target_role: course.target_role,
                    target_grade: course.target_grade,
                    organizer: course.organizer,
                    starts_on: course.starts_on,
                    ends_on: course.ends_on,
                    course_hours: hours(course.quarters.into()),
                    course_status: course.status,
                    result: seat.result,
                    credited_hours: seat.credited_quarters.map(|q| hours(q.into())),
                    score: seat.score,
                })
                .collect(),
        }
    }
}

/// A page of enrolments as JSON, or the sign-in sheet as a file.
pub enum EnrollmentList {
    Page(Json<Page<Enrollment>>),
    File(ExportFile),
}

impl IntoResponse for EnrollmentList {
    fn into_response(self) -> Response {
        match self {
            Self::Page(page) => page.into_response(),
            Self::File(file) => file.into_response(),
        }
    }
}

impl ApiResponse for EnrollmentList {
    fn meta() -> MetaResponses {
        let mut meta = <Json<Page<Enrollment>> as ApiResponse>::meta();
        let files = ExportFile::meta()
            .responses
            .into_iter()
            .flat_map(|r| r.content);
        if let Some(ok) = meta.responses.first_mut() {
            ok.description = "A page of enrolments (JSON), or the sign-in sheet (CSV or XLSX)";
            ok.content.extend(files);
        }
        meta
    }

    fn register(registry: &mut Registry) {
        <Json<Page<Enrollment>> as ApiResponse>::register(registry);
    }
}

#[derive(ApiResponse)]
pub enum CreatedEnrollment {
    /// The person holds a seat; a confirmation mail is on its way when they have an address.
    #[oai(status = 201)]
    Created(Json<Enrollment>),
}

#[OpenApi(tag = "ApiTags::Training")]
impl TrainingApi {
    /// Enrol a person in a course
    ///
    /// Only while the course is `open`. A full course, or a person enrolled already, is a 409;
    /// seats are never overbooked, also under concurrent requests. Officers enrol people of their
    /// street; the bureau anyone.
    #[oai(
        path = "/courses/:id/enrollments",
        method = "post",
        operation_id = "enroll_in_course"
    )]
    async fn enroll(
        &self,
        auth: BearerAuth,
        id: Path<i32>,
        body: JsonBody<EnrollRequest>,
    ) -> Result<CreatedEnrollment, AppError> {
        let seat = enrollments::enroll(&self.state.db, &auth.0, id.0, body.person_id).await?;
        Ok(CreatedEnrollment::Created(Json(seat.into())))
    }

    /// List a course's enrolments with their results, or download the sign-in sheet
    ///
    /// The bureau and auditors see everyone; an officer the people of their street; a member
    /// their own seat. With `format=csv|xlsx` the answer is the sign-in sheet (签到表): the people
    /// holding a seat with their results and an empty column to sign, ID numbers masked.
    #[oai(
        path = "/courses/:id/enrollments",
        method = "get",
        operation_id = "list_enrollments"
    )]
    async fn list(
        &self,
        auth: BearerAuth,
        id: Path<i32>,
        status: Query<Option<EnrollmentStatus>>,
        /// `csv` or `xlsx` for the sign-in sheet instead of a JSON page.
        format: Query<Option<ExportFormat>>,
        /// Page number, from 1 to 100000.
        #[oai(validator(minimum(value = "1"), maximum(value = "100000")))]
        page: Query<Option<u64>>,
        /// Items per page, 1 to 200 (default 50).
        #[oai(validator(minimum(value = "1"), maximum(value = "200")))]
        per_page: Query<Option<u64>>,
    ) -> Result<EnrollmentList, AppError> {
        if let Some(format) = format.0 {
            let service_format = match format {
                ExportFormat::Csv => Format::Csv,
                ExportFormat::Xlsx => Format::Xlsx,
            };
            let (bytes, course) =
                enrollment_export::export(&self.state.db, &auth.0, id.0, service_format).await?;
            return Ok(EnrollmentList::File(ExportFile {
                body: bytes.into(),
                format,
                name: format!("course-{}-sign-in", course.id),
            }));
        }
        let paged = enrollments::list(
            &self.state.db,
            &auth.0,
            id.0,
            status.0,
            page_request(page.0, per_page.0),
        )
        .await?;
        Ok(EnrollmentList::Page(Json(Page::from_paged(
            paged,
            Enrollment::from,
        ))))
    }

    /// Withdraw a person from a course
    ///
    /// Frees the seat; the enrolment is kept, marked `withdrawn`. Not once a result is recorded.
    #[oai(
        path = "/courses/:id/enrollments/:person_id",
        method = "delete",
        operation_id = "withdraw_enrollment"
    )]
    async fn withdraw(
        &self,
        auth: BearerAuth,
        id: Path<i32>,
        person_id: Path<i32>,
    ) -> Result<Json<Enrollment>, AppError> {
        Ok(Json(
            enrollments::withdraw(&self.state.db, &auth.0, id.0, person_id.0)
                .await?
                .into(),
        ))
    }

    /// Record how a person finished a course
    ///
    /// The bureau records results once the course has started; recording again corrects the
    /// result. Credited hours never exceed the course's hours.
    #[oai(
        path = "/courses/:id/enrollments/:person_id/result",
        method = "post",
        operation_id = "record_training_result"
    )]
    async fn record_result(
        &self,
        auth: BearerAuth,
        id: Path<i32>,
        person_id: Path<i32>,
        body: JsonBody<ResultRequest>,
    ) -> Result<Json<Enrollment>, AppError> {
        let body = body.0;
        let result = NewResult {
            status: body.status,
            credited_hours: body.credited_hours,
            score: body.score,
        };
        Ok(Json(
            enrollments::record_result(&self.state.db, &auth.0, id.0, person_id.0, result)
                .await?
                .into(),
        ))
    }

    /// Record the results of a whole class
    ///
    /// Every row is checked by the rules of a single result, in one transaction: when any row is
    /// refused nothing is written, and each refusal names its row as `results[<person_id>].<field>`
    /// (422, or 409 when every refusal is a conflict such as a withdrawn seat). A row repeating
    /// what is recorded changes nothing.
    #[oai(
        path = "/courses/:id/results",
        method = "post",
        operation_id = "record_class_results"
    )]
    async fn record_results(
        &self,
        auth: BearerAuth,
        id: Path<i32>,
        body: JsonBody<ClassResultsRequest>,
    ) -> Result<Json<ClassResults>, AppError> {
        let rows = body
            .0
            .results
            .into_iter()
            .map(|r| {
                (
                    r.person_id,
                    NewResult {
                        status: r.status,
                        credited_hours: r.credited_hours,
                        score: r.score,
                    },
                )
            })
            .collect();
        let done = enrollments::record_results(&self.state.db, &auth.0, id.0, rows).await?;
        Ok(Json(ClassResults {
            items: done.into_iter().map(Enrollment::from).collect(),
        }))
    }

    /// A person's training record
    ///
    /// Total credited hours, hours per year and every course with its result. Members read
    /// their own.
    #[oai(
        path = "/people/:id/training",
        method = "get",
        operation_id = "get_person_training"
    )]
    async fn transcript(
        &self,
        auth: BearerAuth,
        id: Path<i32>,
    ) -> Result<Json<TrainingRecord>, AppError> {
        Ok(Json(
            training::transcript(&self.state.db, &auth.0, id.0)
                .await?
                .into(),
        ))
    }
}
