//! `/courses`: the bureau's training classes (培训班), which everyone may browse.

use chrono::{DateTime, NaiveDate, Utc};
use poem_openapi::{
    ApiResponse, Object, OpenApi,
    param::{Header, Path, Query},
    payload::Json,
    types::MaybeUndefined,
};

use super::{
    ApiTags, Page, accounts::maybe, auth::BearerAuth, expected_version, json::JsonBody,
    pagination::page_request,
};
use crate::{
    app::AppState,
    domain::{
        hours::hours,
        person::{Grade, QualificationKind},
        training::{CourseKind, CourseStatus},
    },
    error::AppError,
    services::courses::{self, CourseChanges, CourseFilter, CourseView, NewCourse},
};

pub struct CoursesApi {
    state: AppState,
}

impl CoursesApi {
    pub fn new(state: &AppState) -> Self {
        Self {
            state: state.clone(),
        }
    }
}

/// A training course and its seats.
#[derive(Debug, Object)]
pub struct Course {
    pub id: i32,
    pub title: String,
    pub kind: CourseKind,
    /// The people it trains (a qualification kind).
    pub target_role: QualificationKind,
    /// The instructor grade it trains for; a completed `certification` course for a grade is a
    /// condition of that grade.
    pub target_grade: Option<Grade>,
    pub organizer: String,
    pub location: String,
    pub description: Option<String>,
    pub starts_on: NaiveDate,
    pub ends_on: NaiveDate,
    /// The course's hours (学时), in steps of 0.25.
    pub hours: f64,
    pub capacity: i32,
    /// Seats taken.
    pub enrolled: i64,
    /// Seats still free.
    pub seats_left: i64,
    pub status: CourseStatus,
    /// Why the course was cancelled.
    pub cancel_reason: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// Optimistic-lock version, sent back with updates.
    pub version: i32,
}

impl From<CourseView> for Course {
    fn from(view: CourseView) -> Self {
        let c = view.course;
        Self {
            id: c.id,
            title: c.title,
            kind: c.kind,
            target_role: c.target_role,
            target_grade: c.target_grade,
            organizer: c.organizer,
            location: c.location,
            description: c.description,
            starts_on: c.starts_on,
            ends_on: c.ends_on,
            hours: hours(c.quarters.into()),
            capacity: c.capacity,
            enrolled: view.enrolled,
            seats_left: (i64::from(c.capacity) - view.enrolled).max(0),
            status: c.status,
            cancel_reason: c.cancel_reason,
            created_at: c.created_at,
            updated_at: c.updated_at,
            version: c.version,
        }
    }
}

#[derive(Object)]
#[oai(deny_unknown_fields)]
pub struct NewCourseRequest {
    #[oai(validator(max_length = 200))]
    pub title: String,
    pub kind: CourseKind,
    pub target_role: QualificationKind,
    /// Required for a `certification` course for social sports instructors.
    pub target_grade: Option<Grade>,
    /// Who runs it, e.g. 区文体新局.
    #[oai(validator(max_length = 200))]
    pub organizer: String,
    #[oai(validator(max_length = 200))]
    pub location: String,
    #[oai(validator(max_length = 4000))]
    pub description: Option<String>,
    pub starts_on: NaiveDate,
    pub ends_on: NaiveDate,
    /// More than 0, at most 1000, in steps of 0.25.
    pub hours: f64,
    /// Seats, 1 to 10000.
    pub capacity: i32,
    /// `planned` (the default) or `open`.
    pub status: Option<CourseStatus>,
}

/// Changes to a course; absent fields stay as they are. Once results are recorded, what the
/// course trains for is fixed and it can no longer be cancelled.
#[derive(Object)]
#[oai(deny_unknown_fields)]
pub struct CoursePatch {
    #[oai(validator(max_length = 200))]
    pub title: Option<String>,
    pub kind: Option<CourseKind>,
    pub target_role: Option<QualificationKind>,
    pub target_grade: MaybeUndefined<Grade>,
    #[oai(validator(max_length = 200))]
    pub organizer: Option<String>,
    #[oai(validator(max_length = 200))]
    pub location: Option<String>,
    #[oai(validator(max_length = 4000))]
    pub description: MaybeUndefined<String>,
    pub starts_on: Option<NaiveDate>,
    pub ends_on: Option<NaiveDate>,
    pub hours: Option<f64>,
    /// Not below the seats taken.
    pub capacity: Option<i32>,
    /// `planned` → `open` → `closed` (and back to `open`); any but a cancelled course may be
    /// `cancelled`, which mails the enrolled people.
    pub status: Option<CourseStatus>,
    /// Why the course is cancelled; only with `status: cancelled`.
    #[oai(validator(max_length = 500))]
    pub cancel_reason: Option<String>,
    /// The version read; a stale one gets 409. `If-Match` works too.
    pub version: Option<i64>,
}

#[derive(ApiResponse)]
pub enum CreatedCourse {
    /// The course was created.
    #[oai(status = 201)]
    Created(Json<Course>),
}

#[OpenApi(tag = "ApiTags::Training")]
impl CoursesApi {
    /// Create a training course
    ///
    /// The bureau runs courses. A new course is `planned` or `open`.
    #[oai(path = "/courses", method = "post", operation_id = "create_course")]
    async fn create(
        &self,
        auth: BearerAuth,
        body: JsonBody<NewCourseRequest>,
    ) -> Result<CreatedCourse, AppError> {
        let body = body.0;
        let new = NewCourse {
            title: body.title,
            kind: body.kind,
            target_role: body.target_role,
            target_grade: body.target_grade,
            organizer: body.organizer,
            location: body.location,
            description: body.description,
            starts_on: body.starts_on,
            ends_on: body.ends_on,
            hours: body.hours,
            capacity: body.capacity,
            status: body.status,
        };
        let created = courses::create(&self.state.db, &auth.0, new).await?;
        Ok(CreatedCourse::Created(Json(created.into())))
    }

    /// List training courses
    ///
    /// Latest first. Every role may browse the catalogue.
    #[oai(path = "/courses", method = "get", operation_id = "list_courses")]
    async fn list(
        &self,
        _auth: BearerAuth,
        status: Query<Option<CourseStatus>>,
        kind: Query<Option<CourseKind>>,
        target_role: Query<Option<QualificationKind>>,
        target_grade: Query<Option<Grade>>,
        /// Courses that end on or after this day.
        from: Query<Option<NaiveDate>>,
        /// Courses that start on or before this day.
        to: Query<Option<NaiveDate>>,
        /// Part of the title.
        #[oai(validator(max_length = 200))]
        q: Query<Option<String>>,
        /// Page number, from 1 to 100000.
        #[oai(validator(minimum(value = "1"), maximum(value = "100000")))]
        page: Query<Option<u64>>,
        /// Items per page, 1 to 200 (default 50).
        #[oai(validator(minimum(value = "1"), maximum(value = "200")))]
        per_page: Query<Option<u64>>,
    ) -> Result<Json<Page<Course>>, AppError> {
        let filter = CourseFilter {
            status: status.0,
            kind: kind.0,
            target_role: target_role.0,
            target_grade: target_grade.0,
            from: super::params::day("from", from.0)?,
            to: super::params::day("to", to.0)?,
            q: q.0,
            ..Default::default()
        };
        let paged =
            courses::list(&self.state.db, &filter, page_request(page.0, per_page.0)).await?;
        Ok(Json(Page::from_paged(paged, Course::from)))
    }

    /// Get a training course
    #[oai(path = "/courses/:id", method = "get", operation_id = "get_course")]
    async fn get(&self, _auth: BearerAuth, id: Path<i32>) -> Result<Json<Course>, AppError> {
        Ok(Json(courses::get(&self.state.db, id.0).await?.into()))
    }

    /// Change, open, close or cancel a training course
    ///
    /// Cancelling mails every enrolled person who has an address.
    #[oai(
        path = "/courses/:id",
        method = "patch",
        operation_id = "update_course"
    )]
    async fn update(
        &self,
        auth: BearerAuth,
        id: Path<i32>,
        /// The version read, as an alternative to the body's `version`.
        #[oai(name = "If-Match")]
        if_match: Header<Option<String>>,
        body: JsonBody<CoursePatch>,
    ) -> Result<Json<Course>, AppError> {
        let body = body.0;
        let changes = CourseChanges {
            title: body.title,
            kind: body.kind,
            target_role: body.target_role,
            target_grade: maybe(body.target_grade),
            organizer: body.organizer,
            location: body.location,
            description: maybe(body.description),
            starts_on: body.starts_on,
            ends_on: body.ends_on,
            hours: body.hours,
            capacity: body.capacity,
            status: body.status,
            cancel_reason: body.cancel_reason,
            expected_version: expected_version(if_match.0.as_deref(), body.version)?,
        };
        Ok(Json(
            courses::update(&self.state.db, &auth.0, id.0, changes)
                .await?
                .into(),
        ))
    }
}
