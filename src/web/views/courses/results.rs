//! The results of a class in one table (`/courses/:id/results`): for every person holding a seat,
//! how they finished, the hours credited (the course's hours when left empty for a pass) and the
//! score. The whole table is saved in one transaction: when any row is refused, nothing is
//! written and the table comes back with what was typed and each refused row marked.

use std::collections::HashMap;

use askama::Template;
use poem::{
    Request, Response, handler,
    http::StatusCode,
    web::{Path, Query},
};
use serde::Deserialize;

use super::{CourseFacts, form::require_bureau};
use crate::{
    domain::{
        FieldViolation,
        hours::hours,
        time::today,
        training::{EnrollmentStatus, TrainingResult},
    },
    error::AppError,
    services::{
        MAX_PER_PAGE, PageRequest, courses,
        enrollments::{self, NewResult},
        regions,
    },
    web::{
        Layout,
        messages::message,
        page_with_status, see_other,
        session::{CsrfForm, WebCaller, state},
        views::{
            sessions::Choice,
            staff::{Pager, code, code_of, page_number},
        },
    },
};

const RESULTS: [TrainingResult; 3] = [
    TrainingResult::Completed,
    TrainingResult::Failed,
    TrainingResult::Absent,
];

/// One seat's row: what is recorded, or what was typed when the table came back.
pub struct ResultRow {
    pub person_id: i32,
    pub name: String,
    pub street: String,
    pub results: Vec<Choice>,
    pub hours: String,
    pub score: String,
    pub recorded: bool,
    /// The message of each refused field, empty when it passed.
    pub status_error: &'static str,
    pub hours_error: &'static str,
    pub score_error: &'static str,
    pub row_error: &'static str,
}

#[derive(Template)]
#[template(path = "office/course_results.html")]
struct ResultsPage {
    layout: Layout,
    title: &'static str,
    course: CourseFacts,
    /// Why no results can be recorded yet (not started, cancelled), or empty.
    closed: String,
    rows: Vec<ResultRow>,
    pager: Pager,
    page_no: u64,
    refused: Vec<String>,
    rest_completed: bool,
}

#[derive(Debug, Default, Deserialize)]
pub struct ResultsQuery {
    page: Option<String>,
}

/// What the table came back with: the typed values and the violations, by person.
#[derive(Default)]
struct Typed {
    values: HashMap<String, String>,
    violations: Vec<FieldViolation>,
}

impl Typed {
    fn error(&self, person_id: i32, field: Option<&str>) -> &'static str {
        let name = match field {
            Some(f) => format!("results[{person_id}].{f}"),
            None => format!("results[{person_id}]"),
        };
        self.violations
            .iter()
            .find(|v| v.field == name)
            .map_or("", |v| message(v.code))
    }
}

/// `GET /courses/:id/results`
#[handler]
pub async fn page(
    req: &Request,
    who: WebCaller,
    Path(id): Path<i32>,
    Query(query): Query<ResultsQuery>,
) -> poem::Result<Response> {
    require_bureau(&who)?;
    let page_no = page_number(query.page.as_deref());
    show(req, &who, id, page_no, None, Vec::new(), StatusCode::OK).await
}

async fn show(
    req: &Request,
    who: &WebCaller,
    id: i32,
    page_no: u64,
    typed: Option<Typed>,
    refused: Vec<String>,
    status: StatusCode,
) -> poem::Result<Response> {
    let state = state(req)?;
    let db = &state.db;
    let account = who.account.clone();
    let view = courses::get(db, id).await?;
    let course = CourseFacts::of(&view);
    let closed = if course.cancelled {
        "这期培训已取消，不能记录培训结果。".to_owned()
    } else if today() < view.course.starts_on {
        format!(
            "这期培训 {} 开始，开始后才能记录培训结果。",
            crate::web::format::date(view.course.starts_on)
        )
    } else {
        String::new()
    };
    let streets: HashMap<i32, String> = regions::list_streets(db, PageRequest::first(500))
        .await?
        .items
        .into_iter()
        .map(|s| (s.id, s.name))
        .collect();
    let found = enrollments::list(
        db,
        &who.caller,
        id,
        Some(EnrollmentStatus::Enrolled),
        PageRequest {
            page: page_no,
            per_page: MAX_PER_PAGE,
        },
    )
    .await?;
    let rest_completed = typed
        .as_ref()
        .is_some_and(|t| t.values.get("rest").is_some_and(|v| v == "completed"));
    let rows = found
        .items
        .iter()
        .map(|seat| {
            let e = &seat.enrollment;
            let pid = seat.person.id;
            let recorded_status = e.result.map(code).unwrap_or_default();
            let recorded_hours = e
                .credited_quarters
                .map(|q| hours(i64::from(q)).to_string())
                .unwrap_or_default();
            let recorded_score = e.score.map(|s| s.to_string()).unwrap_or_default();
            let (status, hours_typed, score, errors) = match &typed {
                Some(t) => (
                    t.values
                        .get(&format!("status_{pid}"))
                        .cloned()
                        .unwrap_or(recorded_status),
                    t.values
                        .get(&format!("hours_{pid}"))
                        .cloned()
                        .unwrap_or(recorded_hours),
                    t.values
                        .get(&format!("score_{pid}"))
                        .cloned()
                        .unwrap_or(recorded_score),
                    [
                        t.error(pid, Some("status")),
                        t.error(pid, Some("credited_hours")),
                        t.error(pid, Some("score")),
                        match t.error(pid, None) {
                            "" => t.error(pid, Some("person_id")),
                            whole => whole,
                        },
                    ],
                ),
                None => (recorded_status, recorded_hours, recorded_score, [""; 4]),
            };
            let options: Vec<(String, String)> = RESULTS
                .iter()
                .map(|r| (code(r), r.chinese().to_owned()))
                .collect();
            ResultRow {
                person_id: pid,
                name: seat.person.name.clone(),
                street: streets
                    .get(&seat.person.street_id)
                    .cloned()
                    .unwrap_or_default(),
                results: crate::web::views::people::choices("未记录", &options, &status),
                hours: hours_typed,
                score,
                recorded: e.result.is_some(),
                status_error: errors[0],
                hours_error: errors[1],
                score_error: errors[2],
                row_error: errors[3],
            }
        })
        .collect();
    page_with_status(
        &ResultsPage {
            layout: Layout::signed_in(who, &account.username, "/courses"),
            title: "记录培训结果",
            pager: Pager::new(
                &format!("/courses/{id}/results"),
                &[],
                page_no,
                MAX_PER_PAGE,
                found.total,
            ),
            page_no,
            course,
            closed,
            rows,
            refused,
            rest_completed,
        },
        status,
    )
}

fn number(raw: &str, field: &str, row: &str, bad: &mut Vec<FieldViolation>) -> Option<f64> {
    let raw = raw.trim();
    if raw.is_empty() {
        return None;
    }
    match raw.parse::<f64>() {
        Ok(n) if n.is_finite() => Some(n),
        _ => {
            let code = if field == "score" {
                "number.out_of_range"
            } else {
                "hours.quarter_steps"
            };
            bad.push(FieldViolation::new(
                format!("{row}.{field}"),
                code,
                "is not a number",
            ));
            None
        }
    }
}

/// `POST /courses/:id/results`: a `person_id` per row of the table with its `status_<id>`,
/// `hours_<id>` and `score_<id>`; a row left "not recorded" is skipped, or recorded as completed
/// when `rest=completed`. All rows or none are written.
#[handler]
pub async fn record(
    req: &Request,
    Path(id): Path<i32>,
    CsrfForm { who, form }: CsrfForm<Vec<(String, String)>>,
) -> poem::Result<Response> {
    require_bureau(&who)?;
    let state = state(req)?;
    let db = &state.db;
    let values: HashMap<String, String> = form.iter().cloned().collect();
    let page_no = page_number(values.get("page").map(String::as_str));
    let rest_completed = values.get("rest").is_some_and(|v| v == "completed");
    let mut ids: Vec<i32> = Vec::new();
    for (_, value) in form.iter().filter(|(n, _)| n == "person_id") {
        if let Ok(pid) = value.trim().parse::<i32>()
            && !ids.contains(&pid)
        {
            ids.push(pid);
        }
    }
    let mut rows = Vec::new();
    let mut bad = Vec::new();
    for pid in ids.iter().copied().take(enrollments::MOST_RESULTS + 1) {
        let row = format!("results[{pid}]");
        let get = |name: &str| {
            values
                .get(&format!("{name}_{pid}"))
                .map(|v| v.trim().to_owned())
                .unwrap_or_default()
        };
        let raw_status = get("status");
        let credited_hours = number(&get("hours"), "credited_hours", &row, &mut bad);
        let score = number(&get("score"), "score", &row, &mut bad);
        let status = match (raw_status.as_str(), rest_completed) {
            ("", true) => Some(TrainingResult::Completed),
            ("", false) => {
                if credited_hours.is_some() || score.is_some() {
                    bad.push(FieldViolation::new(
                        format!("{row}.status"),
                        "result.status_required",
                        "choose how the person finished",
                    ));
                }
                None
            }
            (raw, _) => {
                let parsed = code_of::<TrainingResult>(Some(raw));
                if parsed.is_none() {
                    bad.push(FieldViolation::new(
                        format!("{row}.status"),
                        "result.status_required",
                        "not a result",
                    ));
                }
                parsed
            }
        };
        if let Some(status) = status {
            rows.push((
                pid,
                NewResult {
                    status,
                    credited_hours,
                    score,
                },
            ));
        }
    }
    let result = if !bad.is_empty() {
        Err(AppError::violations(bad))
    } else {
        enrollments::record_results(db, &who.caller, id, rows).await
    };
    match result {
        Ok(done) => Ok(see_other(&format!(
            "/courses/{id}?done=results&count={}",
            done.len()
        ))),
        Err(err) => {
            let Some(violations) = err.field_violations().map(<[_]>::to_vec) else {
                return Err(err.into());
            };
            let status = err.status();
            let refused = refusals(&violations);
            let typed = Typed { values, violations };
            show(req, &who, id, page_no, Some(typed), refused, status).await
        }
    }
}

/// The sentences above the table: one for the class (nothing to save, not started), and a count
/// of the rows marked below.
fn refusals(violations: &[FieldViolation]) -> Vec<String> {
    let mut out: Vec<String> = violations
        .iter()
        .filter(|v| !v.field.starts_with("results["))
        .map(|v| message(v.code).to_owned())
        .collect();
    let rows: std::collections::HashSet<&str> = violations
        .iter()
        .filter_map(|v| v.field.strip_prefix("results["))
        .filter_map(|f| f.split(']').next())
        .collect();
    if !rows.is_empty() {
        out.push(format!(
            "有 {} 人的结果填写有误，已在下表标出；全部改正后才会保存，这次什么都没有保存。",
            rows.len()
        ));
    }
    out
}
