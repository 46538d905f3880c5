//! Bulk enrolment from a CSV file or the first sheet of an XLSX workbook (DOMAIN.md section 8),
//! its columns under their English or Chinese names. A file is read (`read`), each row checked into a typed [`check::Row`] against lookups
//! loaded with a constant number of queries (`check`), then written in chunks in one transaction
//! (`write`): all or nothing unless `partial`, nothing at all on a dry run. An existing person (same ID number) gains the row's qualification and
//! assignment. An import can be undone while nothing new hangs on it (`undo`). The `template`
//! is a file to fill in that imports as it is.

mod check;
mod lookups;
mod read;
mod record;
mod template;
mod undo;
pub mod uploads;
mod write;

use std::collections::HashMap;

use sea_orm::DatabaseConnection;

pub use read::{MAX_COLUMNS, MAX_ROWS};
pub use record::{ImportView, view};
pub use template::template;
pub use undo::undo;

use super::audit::Entry;
use crate::{
    auth::{Caller, hex},
    db,
    domain::{FieldViolation, account::Role, time::today},
    error::AppError,
};

/// Largest upload, CSV or XLSX.
pub const MAX_UPLOAD: usize = 20 * 1024 * 1024;
/// Rows written per statement.
pub(crate) const CHUNK: usize = 500;

/// The kind of file an import reads.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum FileFormat {
    /// CSV, UTF-8 with or without BOM; the header is the first line.
    #[default]
    Csv,
    /// An XLSX workbook: its first sheet, the header the first row with a value.
    Xlsx,
}

impl FileFormat {
    /// The format a body shows by its first bytes, for uploads that do not say: a ZIP archive
    /// (`PK\x03\x04`) is taken for an XLSX workbook, anything else for CSV.
    pub fn sniff(body: &[u8]) -> Self {
        if body.starts_with(b"PK\x03\x04") {
            Self::Xlsx
        } else {
            Self::Csv
        }
    }
}

#[derive(Debug, Clone, Copy, Default)]
pub struct ImportOptions {
    /// Check and count, write nothing.
    pub dry_run: bool,
    /// Write the good rows and report the bad ones, instead of all or nothing.
    pub partial: bool,
    /// How to read the body.
    pub format: FileFormat,
}

/// A problem with one cell of the file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RowError {
    pub line: u64,
    /// The column's field name (`id_number`), whatever the file calls it.
    pub field: String,
    /// The column's header as the file writes it (`身份证号码` in a file with Chinese headers).
    pub column: String,
    pub code: &'static str,
    pub message: String,
}

#[derive(Debug, Clone, Default)]
pub struct ImportReport {
    /// Set when rows were written; `DELETE /imports/{id}` undoes them.
    pub import_id: Option<String>,
    pub dry_run: bool,
    pub created: usize,
    pub updated: usize,
    pub errors: Vec<RowError>,
}

pub async fn import(
    db: &DatabaseConnection,
    caller: &Caller,
    body: &[u8],
    options: ImportOptions,
) -> Result<ImportReport, AppError> {
    require_importer(caller)?;
    let table = match options.format {
        FileFormat::Csv => read::read_csv(body)?,
        FileFormat::Xlsx => read_workbook(body).await?,
    };
    let records = &table.rows;
    let mut errors = Vec::new();
    let context = lookups::Lookups::load(db, records).await?;
    let today = today();

    let mut rows = Vec::new();
    let mut seen: HashMap<String, u64> = HashMap::new();
    for cells in records {
        let mut row_errors: Vec<FieldViolation> = cells
            .values
            .iter()
            .filter(|(_, value)| value.chars().any(crate::domain::text::is_forbidden_control))
            .map(|(column, _)| {
                FieldViolation::new(
                    *column,
                    "text.control_character",
                    "must not contain control characters",
                )
            })
            .collect();
        row_errors.sort_by(|a, b| a.field.cmp(&b.field));
        let row = if !row_errors.is_empty() {
            row_errors.extend(cells.problems.iter().cloned());
            None
        } else if cells.problems.is_empty() {
            check::check_row(cells, &context, caller, today, &mut row_errors)
        } else {
            // The cells the reader refused are reported as they are, not as missing.
            let mut found = Vec::new();
            check::check_row(cells, &context, caller, today, &mut found);
            row_errors.extend(cells.problems.iter().cloned());
            row_errors.extend(
                found
                    .into_iter()
                    .filter(|v| cells.problems.iter().all(|p| p.field != v.field)),
            );
            None
        };
        if let Some(row) = &row
            && let Some(first) = seen.insert(row.id_number.as_str().to_owned(), cells.line)
        {
            row_errors.push(FieldViolation::new(
                "id_number",
                "import.duplicate_row",
                format!("duplicate of line {first}"),
            ));
        }
        if row_errors.is_empty() {
            rows.extend(row);
        } else {
            errors.extend(row_errors.into_iter().map(|v| RowError {
                line: cells.line,
                column: table.column_label(&v.field),
                field: v.field,
                code: v.code,
                message: v.message,
            }));
        }
    }
    let mut report = ImportReport {
        dry_run: options.dry_run,
        errors,
        ..Default::default()
    };
    if (!report.errors.is_empty() && !options.partial) || rows.is_empty() {
        return Ok(report);
    }

    let import_id = hex(&rand::random::<[u8; 12]>());
    let txn = db::begin_write(db).await?;
    let (created, updated) = write::write_rows(&txn, caller, &import_id, &rows, &context).await?;
    report.created = created;
    report.updated = updated;
    if options.dry_run {
        txn.rollback().await?;
        return Ok(report);
    }
    Entry::new("import", "people_import", &import_id)
        .after(&serde_json::json!({"created": created, "updated": updated, "rejected_rows": report.errors.len()}))
        .record(&txn, caller)
        .await?;
    txn.commit().await?;
    report.import_id = Some(import_id);
    Ok(report)
}

/// The bureau and the street offices import people (and download the template).
fn require_importer(caller: &Caller) -> Result<(), AppError> {
    caller.require(
        matches!(caller.role, Role::BureauAdmin | Role::StreetOfficer),
        "import people",
    )
}

/// Reads a workbook away from the async workers: a large sheet takes a while to unpack.
async fn read_workbook(body: &[u8]) -> Result<read::Table, AppError> {
    let body = body.to_vec();
    tokio::task::spawn_blocking(move || read::read_xlsx(&body))
        .await
        .unwrap_or_else(|e| {
            tracing::error!(error = %e, "reading a workbook failed");
            Err(AppError::bad_request(
                "body",
                "import.not_xlsx",
                "the workbook could not be read",
            ))
        })
}
