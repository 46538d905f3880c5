//! The forms of a person's page: a qualification recorded, promoted or revoked; the person
//! suspended, retired or made active again; an assignment to a community made or ended. Each
//! succeeds with a 303 back to the page, or shows the page again with the Chinese message next
//! to the field and what was typed.

use std::collections::HashMap;

use chrono::NaiveDate;
use poem::{Request, Response, handler, web::Path};

use super::detail::{Typed, render};
use crate::{
    domain::{
        FieldViolation,
        person::{Employment, Grade, PersonStatus, QualificationKind, QualificationStatus},
        time::today,
    },
    error::AppError,
    services::{
        assignments::{self, NewAssignment},
        people::{self, PersonChanges},
        qualifications::{self, NewQualification, QualificationChanges},
    },
    web::{
        messages::FieldErrors,
        see_other,
        session::CsrfForm,
        views::{auth::local_path, staff::code_of},
    },
};

type Fields = HashMap<String, String>;

fn text(form: &Fields, name: &str) -> Option<String> {
    form.get(name)
        .map(|v| v.trim().to_owned())
        .filter(|v| !v.is_empty())
}

fn date(form: &Fields, name: &str, violations: &mut Vec<FieldViolation>) -> Option<NaiveDate> {
    let raw = text(form, name)?;
    match NaiveDate::parse_from_str(&raw, "%Y-%m-%d") {
        Ok(day) => Some(day),
        Err(_) => {
            violations.push(FieldViolation::new(name, "date.invalid", "is not a date"));
            None
        }
    }
}

fn version(form: &Fields) -> Option<i64> {
    text(form, "version").and_then(|v| v.parse().ok())
}

/// The result of a form: a 303 to `done` on success, the person's page with the errors of a
/// 4xx otherwise (any other error is the error page's).
async fn answer<T>(
    req: &Request,
    who: &crate::web::session::WebCaller,
    person_id: i32,
    form_name: String,
    fields: Fields,
    result: Result<T, AppError>,
    done: &str,
) -> poem::Result<Response> {
    match result {
        Ok(_) => Ok(see_other(done)),
        Err(err) => match FieldErrors::from_error(&err) {
            Some(errors) => {
                let status = err.status();
                let typed = Typed {
                    form: form_name,
                    values: fields,
                    errors,
                };
                render(req, who, person_id, typed, "", status).await
            }
            None => Err(err.into()),
        },
    }
}

fn invalid(violations: Vec<FieldViolation>) -> AppError {
    AppError::violations(violations)
}

/// `POST /people/:id/qualifications`
#[handler]
pub async fn add_qualification(
    req: &Request,
    Path(id): Path<i32>,
    CsrfForm { who, form }: CsrfForm<Fields>,
) -> poem::Result<Response> {
    let state = crate::web::session::state(req)?;
    let mut violations = Vec::new();
    let kind: Option<QualificationKind> = code_of(form.get("kind").map(String::as_str));
    if kind.is_none() {
        violations.push(FieldViolation::new("kind", "value.required", "is required"));
    }
    let certified_on = date(&form, "certified_on", &mut violations);
    if certified_on.is_none() && !violations.iter().any(|v| v.field == "certified_on") {
        violations.push(FieldViolation::new(
            "certified_on",
            "value.required",
            "is required",
        ));
    }
    let result = match (kind, certified_on) {
        (Some(kind), Some(certified_on)) if violations.is_empty() => {
            qualifications::add(
                &state.db,
                &who.caller,
                id,
                NewQualification {
                    kind,
                    grade: code_of::<Grade>(form.get("grade").map(String::as_str)),
                    certificate_no: text(&form, "certificate_no"),
                    certified_on,
                    employment: code_of::<Employment>(form.get("employment").map(String::as_str)),
                    issued_by: text(&form, "issued_by"),
                },
            )
            .await
        }
        _ => Err(invalid(violations)),
    };
    let done = format!("/people/{id}?done=qualification");
    answer(req, &who, id, "qualification".into(), form, result, &done).await
}

/// `POST /people/:id/qualifications/:qid/promote`
#[handler]
pub async fn promote(
    req: &Request,
    Path((id, qid)): Path<(i32, i32)>,
    CsrfForm { who, form }: CsrfForm<Fields>,
) -> poem::Result<Response> {
    let state = crate::web::session::state(req)?;
    let mut violations = Vec::new();
    let grade: Option<Grade> = code_of(form.get("grade").map(String::as_str));
    if grade.is_none() {
        violations.push(FieldViolation::new(
            "grade",
            "value.required",
            "is required",
        ));
    }
    let granted_on = date(&form, "granted_on", &mut violations);
    let result = if violations.is_empty() {
        qualifications::update(
            &state.db,
            &who.caller,
            id,
            qid,
            QualificationChanges {
                grade,
                granted_on,
                issued_by: text(&form, "issued_by").map(Some),
                certificate_no: text(&form, "certificate_no").map(Some),
                expected_version: version(&form),
                ..Default::default()
            },
        )
        .await
    } else {
        Err(invalid(violations))
    };
    let done = format!("/people/{id}?done=promoted");
    answer(req, &who, id, format!("promote-{qid}"), form, result, &done).await
}

/// `POST /people/:id/qualifications/:qid/revoke`
#[handler]
pub async fn revoke(
    req: &Request,
    Path((id, qid)): Path<(i32, i32)>,
    CsrfForm { who, form }: CsrfForm<Fields>,
) -> poem::Result<Response> {
    let state = crate::web::session::state(req)?;
    let result = qualifications::update(
        &state.db,
        &who.caller,
        id,
        qid,
        QualificationChanges {
            status: Some(QualificationStatus::Revoked),
            reason: text(&form, "reason"),
            expected_version: version(&form),
            ..Default::default()
        },
    )
    .await;
    let done = format!("/people/{id}?done=revoked");
    answer(req, &who, id, format!("revoke-{qid}"), form, result, &done).await
}

/// `POST /people/:id/status`: active, suspended or retired.
#[handler]
pub async fn change_status(
    req: &Request,
    Path(id): Path<i32>,
    CsrfForm { who, form }: CsrfForm<Fields>,
) -> poem::Result<Response> {
    let state = crate::web::session::state(req)?;
    let result = match code_of::<PersonStatus>(form.get("status").map(String::as_str)) {
        Some(status) => {
            people::update(
                &state.db,
                &who.caller,
                id,
                PersonChanges {
                    status: Some(status),
                    expected_version: version(&form),
                    ..Default::default()
                },
            )
            .await
        }
        None => Err(AppError::invalid("status", "value.required", "is required")),
    };
    let done = format!("/people/{id}?done=status");
    answer(req, &who, id, "status".into(), form, result, &done).await
}

/// `POST /people/:id/assignments`: the person serves a community of the street in a role.
#[handler]
pub async fn assign(
    req: &Request,
    Path(id): Path<i32>,
    CsrfForm { who, form }: CsrfForm<Fields>,
) -> poem::Result<Response> {
    let state = crate::web::session::state(req)?;
    let mut violations = Vec::new();
    let community_id = text(&form, "community_id").and_then(|c| c.parse::<i32>().ok());
    if community_id.is_none() {
        violations.push(FieldViolation::new(
            "community_id",
            "community.unknown",
            "is required",
        ));
    }
    let role: Option<QualificationKind> = code_of(form.get("role").map(String::as_str));
    if role.is_none() {
        violations.push(FieldViolation::new("role", "value.required", "is required"));
    }
    let starts_on = date(&form, "starts_on", &mut violations);
    let result = match (community_id, role) {
        (Some(community_id), Some(role)) if violations.is_empty() => {
            assignments::create(
                &state.db,
                &who.caller,
                NewAssignment {
                    person_id: id,
                    community_id,
                    role,
                    starts_on,
                },
            )
            .await
        }
        _ => Err(invalid(violations)),
    };
    // Back to where the form was: the person's page, or the community's.
    let done = match local_path(text(&form, "back").as_deref()) {
        Some(back) => format!("{back}?done=assigned"),
        None => format!("/people/{id}?done=assigned"),
    };
    answer(req, &who, id, "assign".into(), form, result, &done).await
}

/// `POST /assignments/:id/end`: the assignment ends on `ends_on` (its first day out of force),
/// with a reason.
#[handler]
pub async fn end_assignment(
    req: &Request,
    Path(assignment_id): Path<i32>,
    CsrfForm { who, form }: CsrfForm<Fields>,
) -> poem::Result<Response> {
    let state = crate::web::session::state(req)?;
    let found = assignments::get(&state.db, &who.caller, assignment_id).await?;
    let mut violations = Vec::new();
    let ends_on = date(&form, "ends_on", &mut violations).unwrap_or_else(today);
    let result = if violations.is_empty() {
        assignments::end(
            &state.db,
            &who.caller,
            assignment_id,
            ends_on,
            form.get("reason").map_or("", String::as_str),
        )
        .await
    } else {
        Err(invalid(violations))
    };
    let done = match local_path(text(&form, "back").as_deref()) {
        Some(back) => format!("{back}?done=ended"),
        None => format!("/people/{}?done=ended", found.person_id),
    };
    if text(&form, "back").is_some_and(|b| b.starts_with("/communities/"))
        && let Err(err) = result
    {
        return crate::web::views::communities::show_errors(
            req,
            &who,
            found.community_id,
            format!("end-{assignment_id}"),
            form,
            err,
        )
        .await;
    }
    answer(
        req,
        &who,
        found.person_id,
        format!("end-{assignment_id}"),
        form,
        result,
        &done,
    )
    .await
}
