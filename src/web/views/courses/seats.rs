//! The forms of a course's page and its file: several people enrolled at once (each by the
//! enrolments service's single-enrol rule, the refused ones named), one person withdrawn, and
//! the sign-in sheet of the caller's people as XLSX or CSV.

use std::collections::HashMap;

use poem::{
    IntoResponse, Request, Response, handler,
    http::StatusCode,
    web::{Path, Query},
};
use serde::Deserialize;

use super::detail::{Outcome, render};
use crate::{
    api::files::{ExportFile, ExportFormat},
    error::AppError,
    services::{enrollment_export, enrollments, people, people_export::Format},
    web::{
        messages::message,
        see_other,
        session::{CsrfForm, WebCaller, state},
        views::staff::{may_change, require_staff},
    },
};

/// The most people one form enrols.
const MOST: usize = 200;

fn refuse_readers(who: &WebCaller) -> Result<(), AppError> {
    require_staff(who)?;
    if !may_change(who) {
        return Err(AppError::Forbidden(
            "督查人员只能查看培训报名，不能办理".into(),
        ));
    }
    Ok(())
}

/// The code a refused enrolment or withdrawal is shown by; `None` when the error is not about
/// the person (the course is gone, the server failed), which the error page answers.
fn refusal(err: &AppError) -> Option<&'static str> {
    match err {
        AppError::BadRequest { errors, .. }
        | AppError::Unprocessable { errors, .. }
        | AppError::Conflict { errors, .. } => {
            Some(errors.first().map_or("enrollment.refused", |e| e.code))
        }
        AppError::NotFound { entity, .. } if *entity != "course" => Some("person.unknown"),
        _ => None,
    }
}

/// "张三：这期培训名额已满"; a person the caller may not see is named by number only.
fn sentences(refused: &[(i32, &'static str)], names: &HashMap<i32, String>) -> Vec<String> {
    refused
        .iter()
        .map(|(id, code)| match names.get(id) {
            Some(name) if *code != "person.unknown" => format!("{name}：{}", message(code)),
            _ => format!("第 {id} 号人员：{}", message(code)),
        })
        .collect()
}

/// Names of the refused people. Only those refused after the service authorised the caller for
/// them are looked up: an unknown or out-of-scope person is never named.
async fn names_of(
    db: &sea_orm::DatabaseConnection,
    refused: &[(i32, &'static str)],
) -> Result<HashMap<i32, String>, AppError> {
    let ids: Vec<i32> = refused
        .iter()
        .filter(|(_, code)| *code != "person.unknown")
        .map(|(id, _)| *id)
        .collect();
    people::names(db, &ids).await
}

/// `POST /courses/:id/enrollments`: every ticked `person_id` enrolled, one at a time.
#[handler]
pub async fn enrol(
    req: &Request,
    Path(id): Path<i32>,
    CsrfForm { who, form }: CsrfForm<Vec<(String, String)>>,
) -> poem::Result<Response> {
    refuse_readers(&who)?;
    let state = state(req)?;
    let db = &state.db;
    let q = form
        .iter()
        .find(|(n, _)| n == "q")
        .map(|(_, v)| v.trim().to_owned())
        .unwrap_or_default();
    let mut ids: Vec<i32> = Vec::new();
    for (_, value) in form.iter().filter(|(n, _)| n == "person_id") {
        if let Ok(person_id) = value.trim().parse::<i32>()
            && !ids.contains(&person_id)
        {
            ids.push(person_id);
        }
        if ids.len() > MOST {
            break;
        }
    }
    let unusable = if ids.is_empty() {
        Some("enrollment.nothing_selected")
    } else if ids.len() > MOST {
        Some("enrollment.too_many")
    } else {
        None
    };
    if let Some(code) = unusable {
        let outcome = Outcome {
            refused: vec![message(code).to_owned()],
            ..Default::default()
        };
        let status = StatusCode::UNPROCESSABLE_ENTITY;
        return render(req, &who, id, &q, 1, outcome, status).await;
    }
    let mut done = 0;
    let mut refused = Vec::new();
    let mut status = StatusCode::OK;
    for person_id in ids {
        match enrollments::enroll(db, &who.caller, id, person_id).await {
            Ok(_) => done += 1,
            Err(err) => match refusal(&err) {
                Some(code) => {
                    if refused.is_empty() {
                        status = err.status();
                    }
                    refused.push((person_id, code));
                }
                None => return Err(err.into()),
            },
        }
    }
    if refused.is_empty() {
        return Ok(see_other(&format!(
            "/courses/{id}?done=enrolled&count={done}"
        )));
    }
    let names = names_of(db, &refused).await?;
    let outcome = Outcome {
        notice: if done > 0 {
            format!("已为 {done} 人报名。")
        } else {
            String::new()
        },
        refused: sentences(&refused, &names),
    };
    render(req, &who, id, &q, 1, outcome, status).await
}

/// `POST /courses/:id/enrollments/:person_id/withdraw`
#[handler]
pub async fn withdraw(
    req: &Request,
    Path((id, person_id)): Path<(i32, i32)>,
    CsrfForm { who, .. }: CsrfForm<HashMap<String, String>>,
) -> poem::Result<Response> {
    refuse_readers(&who)?;
    let state = state(req)?;
    let db = &state.db;
    match enrollments::withdraw(db, &who.caller, id, person_id).await {
        Ok(_) => Ok(see_other(&format!("/courses/{id}?done=withdrawn"))),
        // A seat the caller may not see is not found, as any URL outside its scope.
        Err(err @ AppError::NotFound { .. }) => Err(err.into()),
        Err(err) => match refusal(&err) {
            Some(code) => {
                let refused = [(person_id, code)];
                let names = names_of(db, &refused).await?;
                let outcome = Outcome {
                    refused: sentences(&refused, &names),
                    ..Default::default()
                };
                render(req, &who, id, "", 1, outcome, err.status()).await
            }
            None => Err(err.into()),
        },
    }
}

#[derive(Debug, Default, Deserialize)]
pub struct SheetQuery {
    format: Option<String>,
}

/// `/courses/:id/sign-in-sheet?format=xlsx|csv`: the people of the caller's scope holding a
/// seat, ID numbers masked, with a column to sign.
#[handler]
pub async fn sign_in_sheet(
    req: &Request,
    who: WebCaller,
    Path(id): Path<i32>,
    Query(query): Query<SheetQuery>,
) -> poem::Result<Response> {
    require_staff(&who)?;
    let state = state(req)?;
    let (format, export_format) = match query.format.as_deref() {
        Some("csv") => (Format::Csv, ExportFormat::Csv),
        _ => (Format::Xlsx, ExportFormat::Xlsx),
    };
    let (bytes, course) = enrollment_export::export(&state.db, &who.caller, id, format).await?;
    Ok(ExportFile {
        body: bytes.into(),
        format: export_format,
        name: format!("course-{}-sign-in", course.id),
    }
    .into_response())
}
