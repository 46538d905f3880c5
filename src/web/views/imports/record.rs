//! An import's page: when and by whom, how many people it created and updated, the people it
//! enrolled, and undo while nothing new hangs on them.

use askama::Template;
use poem::{
    Request, Response, handler,
    http::StatusCode,
    web::{Path, Query},
};
use serde::Deserialize;

use crate::{
    services::import,
    web::{
        Layout, format,
        messages::FieldErrors,
        page_with_status, see_other,
        session::{CsrfForm, WebCaller, state},
        views::staff::{may_change, require_staff},
    },
};

#[derive(Template)]
#[template(path = "office/import_done.html")]
struct ImportPage {
    layout: Layout,
    title: &'static str,
    id: String,
    at: String,
    by: String,
    created: i32,
    updated: i32,
    undone: String,
    people: Vec<(i32, String)>,
    may_undo: bool,
    undo_possible: bool,
    notice: &'static str,
    error: &'static str,
}

#[derive(Deserialize)]
pub struct ImportQuery {
    done: Option<String>,
}

async fn import_page(
    req: &Request,
    who: &WebCaller,
    id: &str,
    notice: &'static str,
    errors: FieldErrors,
    status: StatusCode,
) -> poem::Result<Response> {
    require_staff(who)?;
    let state = state(req)?;
    let db = &state.db;
    let account = who.account.clone();
    let view = import::view(db, &who.caller, id).await?;
    page_with_status(
        &ImportPage {
            layout: Layout::signed_in(who, &account.username, "/people"),
            title: "导入记录",
            id: view.import.id.clone(),
            at: format::date_time(view.import.created_at),
            by: view.by.unwrap_or_default(),
            created: view.import.created,
            updated: view.import.updated,
            undone: view
                .import
                .undone_at
                .map(format::date_time)
                .unwrap_or_default(),
            people: view.people.into_iter().map(|p| (p.id, p.name)).collect(),
            may_undo: view.may_undo && may_change(who),
            undo_possible: view.undo_possible,
            notice,
            error: errors.get("import_id"),
        },
        status,
    )
}

/// `GET /imports/:id`
#[handler]
pub async fn done(
    req: &Request,
    who: WebCaller,
    Path(id): Path<String>,
    Query(query): Query<ImportQuery>,
) -> poem::Result<Response> {
    let notice = match query.done.as_deref() {
        Some("imported") => "导入完成。",
        Some("undone") => "这次导入已撤销，导入的人员及其资格、安排已删除。",
        _ => "",
    };
    import_page(
        req,
        &who,
        &id,
        notice,
        FieldErrors::default(),
        StatusCode::OK,
    )
    .await
}

#[derive(Deserialize)]
pub struct Nothing {}

/// `POST /imports/:id/undo`
#[handler]
pub async fn undo(
    req: &Request,
    Path(id): Path<String>,
    CsrfForm { who, .. }: CsrfForm<Nothing>,
) -> poem::Result<Response> {
    let state = state(req)?;
    match import::undo(&state.db, &who.caller, &id).await {
        Ok(()) => Ok(see_other(&format!("/imports/{id}?done=undone"))),
        Err(err) => match FieldErrors::from_error(&err) {
            Some(errors) => {
                let status = err.status();
                import_page(req, &who, &id, "", errors, status).await
            }
            None => Err(err.into()),
        },
    }
}
