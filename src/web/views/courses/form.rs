//! The bureau runs the courses: describes a new one (`/courses/new`), changes one against the
//! version it read (`/courses/:id/edit`), and moves it through its life on its page: open the
//! enrolment, close it, open it again, or cancel the course with a reason the enrolled people are
//! mailed. Street officers and auditors are refused (403) before anything is read.

use std::collections::HashMap;

use askama::Template;
use chrono::NaiveDate;
use poem::{Request, Response, handler, http::StatusCode, web::Path};

use super::detail::{Outcome, render};
use crate::{
    domain::{
        FieldViolation,
        hours::hours,
        person::{Grade, QualificationKind},
        training::{CourseKind, CourseStatus, quarters_of},
    },
    error::AppError,
    services::courses::{self, CourseChanges, NewCourse},
    web::{
        Layout,
        messages::{FieldErrors, message},
        page_with_status, see_other,
        session::{CsrfForm, WebCaller, state},
        views::{
            people::{choices, grade_options, kind_options},
            sessions::Choice,
            staff::{self, code, code_of},
        },
    },
};

type Fields = HashMap<String, String>;

/// Only the bureau runs courses; an officer enrols in them and an auditor reads them.
pub fn require_bureau(who: &WebCaller) -> Result<(), AppError> {
    staff::require_bureau(who, "只有区文体新局可以举办、修改或取消培训")
}

fn text(form: &Fields, name: &str) -> String {
    form.get(name)
        .map(|v| v.trim().to_owned())
        .unwrap_or_default()
}

/// What the form holds, read into the course's values; every field at fault is named.
struct Described {
    title: String,
    kind: Option<CourseKind>,
    target_role: Option<QualificationKind>,
    target_grade: Option<Grade>,
    organizer: String,
    location: String,
    description: Option<String>,
    starts_on: Option<NaiveDate>,
    ends_on: Option<NaiveDate>,
    hours: Option<f64>,
    capacity: Option<i32>,
}

/// The option chosen in a required select, or `None` with `code` kept as its violation.
fn chosen<T: serde::de::DeserializeOwned>(
    form: &Fields,
    name: &str,
    code: &'static str,
    violations: &mut Vec<FieldViolation>,
) -> Option<T> {
    let value = code_of::<T>(form.get(name).map(String::as_str));
    if value.is_none() {
        violations.push(FieldViolation::new(name, code, "choose one of the options"));
    }
    value
}

fn describe(form: &Fields, violations: &mut Vec<FieldViolation>) -> Described {
    let mut required = |name: &str| {
        let value = text(form, name);
        if value.is_empty() {
            violations.push(FieldViolation::new(name, "value.required", "is required"));
        }
        value
    };
    let title = required("title");
    let organizer = required("organizer");
    let location = required("location");
    let kind = chosen::<CourseKind>(form, "kind", "course.kind_required", violations);
    let target_role =
        chosen::<QualificationKind>(form, "target_role", "course.target_required", violations);
    let target_grade = code_of::<Grade>(form.get("target_grade").map(String::as_str));
    let mut day = |name: &str| match NaiveDate::parse_from_str(&text(form, name), "%Y-%m-%d") {
        Ok(day) => Some(day),
        Err(_) => {
            let code = if text(form, name).is_empty() {
                "value.required"
            } else {
                "date.invalid"
            };
            violations.push(FieldViolation::new(name, code, "is not a date"));
            None
        }
    };
    let starts_on = day("starts_on");
    let ends_on = day("ends_on");
    let hours = match text(form, "hours").parse::<f64>() {
        Ok(h) if quarters_of(h).is_some_and(|q| q > 0) => Some(h),
        _ => {
            violations.push(FieldViolation::new(
                "hours",
                "hours.quarter_steps",
                "is not a number of hours",
            ));
            None
        }
    };
    let capacity = match text(form, "capacity").parse::<i32>() {
        Ok(n) => Some(n),
        Err(_) => {
            violations.push(FieldViolation::new(
                "capacity",
                "number.invalid",
                "is not a whole number",
            ));
            None
        }
    };
    let description = Some(text(form, "description")).filter(|d| !d.is_empty());
    Described {
        title,
        kind,
        target_role,
        target_grade,
        organizer,
        location,
        description,
        starts_on,
        ends_on,
        hours,
        capacity,
    }
}

#[derive(Template)]
#[template(path = "office/course_form.html")]
struct CourseFormPage {
    layout: Layout,
    title: &'static str,
    /// `None` for a new course.
    id: Option<i32>,
    version: i64,
    kinds: Vec<Choice>,
    roles: Vec<Choice>,
    grades: Vec<Choice>,
    statuses: Vec<Choice>,
    typed: Fields,
    errors: FieldErrors,
    /// A sentence for what belongs to no field shown (a stale version, a refusal).
    general: String,
}

impl CourseFormPage {
    fn value(&self, name: &str) -> &str {
        self.typed.get(name).map_or("", String::as_str)
    }
}

/// The fields the form shows, so a message for any other field is said above the form.
const SHOWN: [&str; 12] = [
    "title",
    "kind",
    "target_role",
    "target_grade",
    "organizer",
    "location",
    "description",
    "starts_on",
    "ends_on",
    "hours",
    "capacity",
    "status",
];

/// The general sentence of a failed form: the first violation of a field the form does not
/// show (the version, the seats already taken are shown by their fields).
fn general_of(err: &AppError) -> String {
    err.field_violations()
        .unwrap_or_default()
        .iter()
        .find(|v| !SHOWN.contains(&v.field.as_str()))
        .map(|v| message(v.code).to_owned())
        .unwrap_or_default()
}

/// What the form shows: the course it changes (none for a new one) at the version read, the
/// values, and the faults of the last try.
struct Shown {
    id: Option<i32>,
    version: i64,
    typed: Fields,
    errors: FieldErrors,
    general: String,
}

impl Shown {
    fn fresh(id: Option<i32>, version: i64, typed: Fields) -> Self {
        Self {
            id,
            version,
            typed,
            errors: FieldErrors::default(),
            general: String::new(),
        }
    }

    fn failed(id: Option<i32>, version: i64, typed: Fields, err: &AppError) -> Option<Self> {
        Some(Self {
            id,
            version,
            typed,
            errors: FieldErrors::from_error(err)?,
            general: general_of(err),
        })
    }
}

async fn form_page(
    req: &Request,
    who: &WebCaller,
    shown: Shown,
    status: StatusCode,
) -> poem::Result<Response> {
    let Shown {
        id,
        version,
        typed,
        errors,
        general,
    } = shown;
    let _state = state(req)?;
    let account = who.account.clone();
    let selected = |name: &str| typed.get(name).cloned().unwrap_or_default();
    let kinds: Vec<(String, String)> = [
        CourseKind::Certification,
        CourseKind::Continuing,
        CourseKind::Competition,
    ]
    .into_iter()
    .map(|k| (code(k), k.chinese().to_owned()))
    .collect();
    let statuses: Vec<(String, String)> = [CourseStatus::Planned, CourseStatus::Open]
        .into_iter()
        .map(|s| {
            let label = match s {
                CourseStatus::Open => "现在就开始报名",
                _ => "先筹备，稍后开始报名",
            };
            (code(s), label.to_owned())
        })
        .collect();
    let mut status_choices = choices("", &statuses, &selected("status"));
    status_choices.remove(0);
    if !status_choices.iter().any(|c| c.selected)
        && let Some(first) = status_choices.first_mut()
    {
        first.selected = true;
    }
    page_with_status(
        &CourseFormPage {
            layout: Layout::signed_in(who, &account.username, "/courses"),
            title: if id.is_some() {
                "修改培训"
            } else {
                "举办培训"
            },
            id,
            version,
            kinds: choices("请选择类别", &kinds, &selected("kind")),
            roles: choices("请选择培训对象", &kind_options(), &selected("target_role")),
            grades: choices(
                "不限等级（等级培训必选）",
                &grade_options(),
                &selected("target_grade"),
            ),
            statuses: status_choices,
            typed,
            errors,
            general,
        },
        status,
    )
}

/// `GET /courses/new`
#[handler]
pub async fn new_page(req: &Request, who: WebCaller) -> poem::Result<Response> {
    require_bureau(&who)?;
    let mut typed = Fields::new();
    typed.insert("capacity".into(), "50".into());
    typed.insert("organizer".into(), "区文体新局".into());
    form_page(req, &who, Shown::fresh(None, 0, typed), StatusCode::OK).await
}

/// `POST /courses/new`: the course, planned or open at once.
#[handler]
pub async fn create(
    req: &Request,
    CsrfForm { who, form }: CsrfForm<Fields>,
) -> poem::Result<Response> {
    require_bureau(&who)?;
    let state = state(req)?;
    let mut violations = Vec::new();
    let d = describe(&form, &mut violations);
    let status = code_of::<CourseStatus>(form.get("status").map(String::as_str));
    let result = match (
        d.kind,
        d.target_role,
        d.starts_on,
        d.ends_on,
        d.hours,
        d.capacity,
    ) {
        (
            Some(kind),
            Some(target_role),
            Some(starts_on),
            Some(ends_on),
            Some(hours),
            Some(capacity),
        ) if violations.is_empty() => {
            courses::create(
                &state.db,
                &who.caller,
                NewCourse {
                    title: d.title,
                    kind,
                    target_role,
                    target_grade: d.target_grade,
                    organizer: d.organizer,
                    location: d.location,
                    description: d.description,
                    starts_on,
                    ends_on,
                    hours,
                    capacity,
                    status,
                },
            )
            .await
        }
        _ => Err(AppError::violations(violations)),
    };
    match result {
        Ok(view) => Ok(see_other(&format!(
            "/courses/{}?done=created",
            view.course.id
        ))),
        Err(err) => match Shown::failed(None, 0, form, &err) {
            Some(shown) => form_page(req, &who, shown, err.status()).await,
            None => Err(err.into()),
        },
    }
}

/// The form's fields as a course holds them.
fn fields_of(course: &crate::entities::course::Model) -> Fields {
    let mut typed = Fields::new();
    typed.insert("title".into(), course.title.clone());
    typed.insert("kind".into(), code(course.kind));
    typed.insert("target_role".into(), code(course.target_role));
    typed.insert(
        "target_grade".into(),
        course.target_grade.map(code).unwrap_or_default(),
    );
    typed.insert("organizer".into(), course.organizer.clone());
    typed.insert("location".into(), course.location.clone());
    typed.insert(
        "description".into(),
        course.description.clone().unwrap_or_default(),
    );
    typed.insert("starts_on".into(), course.starts_on.to_string());
    typed.insert("ends_on".into(), course.ends_on.to_string());
    typed.insert(
        "hours".into(),
        hours(i64::from(course.quarters)).to_string(),
    );
    typed.insert("capacity".into(), course.capacity.to_string());
    typed
}

/// `GET /courses/:id/edit`
#[handler]
pub async fn edit_page(
    req: &Request,
    who: WebCaller,
    Path(id): Path<i32>,
) -> poem::Result<Response> {
    require_bureau(&who)?;
    let state = state(req)?;
    let view = courses::get(&state.db, id).await?;
    let shown = Shown::fresh(
        Some(id),
        view.course.version.into(),
        fields_of(&view.course),
    );
    form_page(req, &who, shown, StatusCode::OK).await
}

/// `POST /courses/:id/edit`: every field of the form, against the version it was read at; a
/// change someone else made in between is 409 and the form keeps what was typed.
#[handler]
pub async fn update(
    req: &Request,
    Path(id): Path<i32>,
    CsrfForm { who, form }: CsrfForm<Fields>,
) -> poem::Result<Response> {
    require_bureau(&who)?;
    let state = state(req)?;
    let mut violations = Vec::new();
    let d = describe(&form, &mut violations);
    let version = text(&form, "version").parse::<i64>().ok();
    if version.is_none() {
        violations.push(FieldViolation::new(
            "version",
            "version.stale",
            "the version the form was read at is missing",
        ));
    }
    let result = if violations.is_empty() {
        courses::update(
            &state.db,
            &who.caller,
            id,
            CourseChanges {
                title: Some(d.title),
                kind: d.kind,
                target_role: d.target_role,
                target_grade: Some(d.target_grade),
                organizer: Some(d.organizer),
                location: Some(d.location),
                description: Some(d.description),
                starts_on: d.starts_on,
                ends_on: d.ends_on,
                hours: d.hours,
                capacity: d.capacity,
                expected_version: version,
                ..Default::default()
            },
        )
        .await
    } else {
        // A course that does not exist is 404 before the form's faults are shown.
        courses::get(&state.db, id).await?;
        Err(AppError::violations(violations))
    };
    match result {
        Ok(_) => Ok(see_other(&format!("/courses/{id}?done=updated"))),
        Err(err) => match Shown::failed(Some(id), version.unwrap_or_default(), form, &err) {
            Some(shown) => form_page(req, &who, shown, err.status()).await,
            None => Err(err.into()),
        },
    }
}

/// `POST /courses/:id/status`: `status` (open, closed, planned, cancelled), the `version` the page
/// showed, and the `reason` when cancelling.
#[handler]
pub async fn change_status(
    req: &Request,
    Path(id): Path<i32>,
    CsrfForm { who, form }: CsrfForm<Fields>,
) -> poem::Result<Response> {
    require_bureau(&who)?;
    let state = state(req)?;
    let status = code_of::<CourseStatus>(form.get("status").map(String::as_str));
    let version = text(&form, "version").parse::<i64>().ok();
    let reason = Some(text(&form, "reason")).filter(|r| !r.is_empty());
    let result = match status {
        None => Err(AppError::invalid(
            "status",
            "course.status_transition",
            "not a status",
        )),
        Some(CourseStatus::Cancelled) if reason.is_none() => Err(AppError::invalid(
            "reason",
            "course.cancel_reason_required",
            "say why the course is cancelled; the enrolled people are told",
        )),
        Some(status) => courses::update(
            &state.db,
            &who.caller,
            id,
            CourseChanges {
                status: Some(status),
                cancel_reason: reason.filter(|_| status == CourseStatus::Cancelled),
                expected_version: version,
                ..Default::default()
            },
        )
        .await
        .map(|_| ()),
    };
    match result {
        Ok(()) => {
            let done = match status {
                Some(CourseStatus::Open) => "opened",
                Some(CourseStatus::Closed) => "closed",
                Some(CourseStatus::Cancelled) => "cancelled",
                _ => "planned",
            };
            Ok(see_other(&format!("/courses/{id}?done={done}")))
        }
        Err(err) => match err.field_violations() {
            Some(violations) => {
                let outcome = Outcome {
                    refused: violations
                        .iter()
                        .map(|v| message(v.code).to_owned())
                        .collect(),
                    ..Default::default()
                };
                render(req, &who, id, "", 1, outcome, err.status()).await
            }
            None => Err(err.into()),
        },
    }
}
