//! Importing people from a file, as an office does it: download the template (Excel or CSV,
//! Chinese headers), upload the filled file, read the preview (what would be created and
//! updated, and every error by line and column in Chinese), then import all of it or only the
//! rows without errors, or give up; the import's page ([`record`]) offers undo while it is still
//! possible.

mod record;

pub use record::{done, undo};

use askama::Template;
use poem::{
    IntoResponse, Request, Response, handler,
    http::StatusCode,
    web::{Path, Query},
};
use serde::Deserialize;

use crate::{
    api::files::{ExportFile, ExportFormat},
    error::AppError,
    services::import::{self, FileFormat, ImportOptions, ImportReport, uploads},
    web::{
        Layout, format,
        messages::message,
        page_with_status, see_other,
        session::{CsrfForm, CsrfUpload, WebCaller, state},
        views::staff::{may_change, require_staff},
    },
};

/// Rows of errors shown on the preview; the rest are counted.
const SHOWN_ERRORS: usize = 500;

#[derive(Template)]
#[template(path = "office/import.html")]
struct UploadPage {
    layout: Layout,
    title: &'static str,
    error: &'static str,
}

async fn upload_page(
    req: &Request,
    who: &WebCaller,
    error: &'static str,
    status: StatusCode,
) -> poem::Result<Response> {
    require_staff(who)?;
    if !may_change(who) {
        return Err(AppError::Forbidden("督查人员只能查看，不能导入".into()).into());
    }
    let _state = state(req)?;
    let account = who.account.clone();
    page_with_status(
        &UploadPage {
            layout: Layout::signed_in(who, &account.username, "/people"),
            title: "从表格导入人员",
            error,
        },
        status,
    )
}

/// `GET /people/import`
#[handler]
pub async fn start(req: &Request, who: WebCaller) -> poem::Result<Response> {
    upload_page(req, &who, "", StatusCode::OK).await
}

#[derive(Deserialize)]
pub struct TemplateQuery {
    format: Option<String>,
}

/// `GET /people/import/template?format=xlsx|csv`
#[handler]
pub async fn template(
    req: &Request,
    who: WebCaller,
    Query(query): Query<TemplateQuery>,
) -> poem::Result<Response> {
    let state = state(req)?;
    let (format, export) = match query.format.as_deref() {
        Some("csv") => (FileFormat::Csv, ExportFormat::Csv),
        _ => (FileFormat::Xlsx, ExportFormat::Xlsx),
    };
    let bytes = import::template(&state.db, &who.caller, format).await?;
    Ok(ExportFile {
        body: bytes.into(),
        format: export,
        name: "fitreg-import-template".to_owned(),
    }
    .into_response())
}

/// The file's format: by its name when it says, else by its first bytes.
fn format_of(file_name: &str, body: &[u8]) -> FileFormat {
    let lower = file_name.to_ascii_lowercase();
    if lower.ends_with(".xlsx") {
        FileFormat::Xlsx
    } else if lower.ends_with(".csv") {
        FileFormat::Csv
    } else {
        FileFormat::sniff(body)
    }
}

/// The Chinese sentence for a file that cannot be read at all.
fn file_error(err: &AppError) -> Option<&'static str> {
    match err {
        AppError::BadRequest { errors, .. } | AppError::Unprocessable { errors, .. } => {
            errors.first().map(|e| message(e.code))
        }
        AppError::PayloadTooLarge { .. } => Some(message("payload.too_large")),
        _ => None,
    }
}

/// `POST /people/import`: the uploaded file is kept for the clerk and its preview shown.
#[handler]
pub async fn receive(req: &Request, form: CsrfUpload) -> poem::Result<Response> {
    let state = state(req)?;
    let who = form.who;
    if form.body.is_empty() {
        let error = message("import.no_file");
        return upload_page(req, &who, error, StatusCode::UNPROCESSABLE_ENTITY).await;
    }
    let format = format_of(&form.file_name, &form.body);
    // Read once now, so a file that is no table at all is answered on the upload page.
    let check = import::import(
        &state.db,
        &who.caller,
        &form.body,
        ImportOptions {
            dry_run: true,
            partial: true,
            format,
        },
    )
    .await;
    if let Err(err) = check {
        return match file_error(&err) {
            Some(error) => upload_page(req, &who, error, err.status()).await,
            None => Err(err.into()),
        };
    }
    let id = uploads::stash(&state.db, &who.caller, &form.file_name, format, form.body).await?;
    Ok(see_other(&format!("/people/import/{id}")))
}

pub struct ErrorRow {
    pub line: u64,
    pub column: String,
    pub message: &'static str,
}

#[derive(Template)]
#[template(path = "office/import_preview.html")]
struct PreviewPage {
    layout: Layout,
    title: &'static str,
    id: String,
    file_name: String,
    uploaded_at: String,
    created: usize,
    updated: usize,
    rejected_lines: usize,
    errors: Vec<ErrorRow>,
    more_errors: usize,
    notice: &'static str,
}

/// What the file would do now: a dry run of the good rows, with every error.
async fn dry_run(
    db: &sea_orm::DatabaseConnection,
    who: &WebCaller,
    upload: &uploads::Upload,
) -> Result<ImportReport, AppError> {
    import::import(
        db,
        &who.caller,
        &upload.body,
        ImportOptions {
            dry_run: true,
            partial: true,
            format: upload.format,
        },
    )
    .await
}

async fn preview_page(
    req: &Request,
    who: &WebCaller,
    id: &str,
    notice: &'static str,
    status: StatusCode,
) -> poem::Result<Response> {
    require_staff(who)?;
    let state = state(req)?;
    let db = &state.db;
    let account = who.account.clone();
    let upload = uploads::load(db, &who.caller, id).await?;
    let report = dry_run(db, who, &upload).await?;
    let mut lines: Vec<u64> = report.errors.iter().map(|e| e.line).collect();
    lines.dedup();
    let errors: Vec<ErrorRow> = report
        .errors
        .iter()
        .take(SHOWN_ERRORS)
        .map(|e| ErrorRow {
            line: e.line,
            column: if e.column.is_empty() {
                e.field.clone()
            } else {
                e.column.clone()
            },
            message: message(e.code),
        })
        .collect();
    page_with_status(
        &PreviewPage {
            layout: Layout::signed_in(who, &account.username, "/people"),
            title: "导入预览",
            id: upload.id.clone(),
            file_name: upload.file_name.clone(),
            uploaded_at: format::date_time(upload.uploaded_at),
            created: report.created,
            updated: report.updated,
            rejected_lines: lines.len(),
            more_errors: report.errors.len().saturating_sub(errors.len()),
            errors,
            notice,
        },
        status,
    )
}

/// `GET /people/import/:id`: the preview of an upload.
#[handler]
pub async fn preview(
    req: &Request,
    who: WebCaller,
    Path(id): Path<String>,
) -> poem::Result<Response> {
    preview_page(req, &who, &id, "", StatusCode::OK).await
}

#[derive(Debug, Deserialize)]
pub struct DecisionForm {
    #[serde(default)]
    mode: String,
}

/// `POST /people/import/:id`: `all` (nothing unless every row is good), `partial` (the good
/// rows) or `discard`.
#[handler]
pub async fn decide(
    req: &Request,
    Path(id): Path<String>,
    CsrfForm { who, form }: CsrfForm<DecisionForm>,
) -> poem::Result<Response> {
    require_staff(&who)?;
    let state = state(req)?;
    let db = &state.db;
    let upload = uploads::load(db, &who.caller, &id).await?;
    let partial = match form.mode.as_str() {
        "all" => false,
        "partial" => true,
        "discard" => {
            uploads::discard(db, &who.caller, &id).await?;
            return Ok(see_other("/people/import"));
        }
        _ => {
            return Err(
                AppError::invalid("mode", "value.required", "all, partial or discard").into(),
            );
        }
    };
    let report = import::import(
        db,
        &who.caller,
        &upload.body,
        ImportOptions {
            dry_run: false,
            partial,
            format: upload.format,
        },
    )
    .await?;
    match report.import_id {
        Some(import_id) => {
            uploads::discard(db, &who.caller, &id).await?;
            Ok(see_other(&format!("/imports/{import_id}?done=imported")))
        }
        // All or nothing with errors, or no good row: nothing was written.
        None => {
            let notice = if report.errors.is_empty() {
                "文件中没有可以导入的行。"
            } else {
                "文件中有错误，没有导入任何一行。可以改好文件重新上传，或只导入无误的行。"
            };
            preview_page(req, &who, &id, notice, StatusCode::UNPROCESSABLE_ENTITY).await
        }
    }
}
