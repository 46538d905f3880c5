//! Reading an uploaded CSV file into rows of cells by column, with their line numbers.

use std::collections::HashMap;

use crate::{
    domain::import::{COLUMNS, REQUIRED_COLUMNS},
    error::AppError,
};

/// One row's raw cells by column name.
pub(super) struct Cells<'a> {
    pub(super) line: u64,
    pub(super) values: HashMap<&'a str, String>,
}

impl Cells<'_> {
    pub(super) fn get(&self, column: &str) -> Option<&str> {
        self.values
            .get(column)
            .map(String::as_str)
            .filter(|v| !v.is_empty())
    }
}

/// The rows of a CSV file (UTF-8, with or without BOM) under a header of known columns.
pub(super) fn read_csv(body: &[u8]) -> Result<Vec<Cells<'static>>, AppError> {
    let body = body.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(body);
    let mut reader = csv::ReaderBuilder::new().flexible(true).from_reader(body);
    let headers = reader
        .headers()
        .map_err(|e| {
            AppError::bad_request("body", "import.not_csv", format!("not a CSV file: {e}"))
        })?
        .clone();
    let mut columns = Vec::new();
    for header in headers.iter() {
        let name = header.trim();
        let known = COLUMNS.iter().find(|c| **c == name).ok_or_else(|| {
            AppError::bad_request(
                "header",
                "import.unknown_column",
                format!(
                    "unknown column {name:?}; the columns are {}",
                    COLUMNS.join(",")
                ),
            )
        })?;
        columns.push(*known);
    }
    for required in REQUIRED_COLUMNS {
        if !columns.contains(&required) {
            return Err(AppError::bad_request(
                "header",
                "import.missing_column",
                format!("the column {required:?} is missing"),
            ));
        }
    }
    let mut records = Vec::new();
    // Line numbers come from byte offsets: the csv crate miscounts lines of CRLF files.
    let (mut counted_to, mut line) = (0usize, 1u64);
    for record in reader.records() {
        let record = record.map_err(|e| {
            AppError::bad_request("body", "import.unreadable", format!("unreadable CSV: {e}"))
        })?;
        // With CRLF the reported offset is the previous line's '\n', so it is counted too.
        let start = record
            .position()
            .map(|p| p.byte() as usize + 1)
            .unwrap_or(counted_to)
            .clamp(counted_to, body.len());
        line += body[counted_to..start]
            .iter()
            .filter(|b| **b == b'\n')
            .count() as u64;
        counted_to = start;
        if record.iter().all(|v| v.trim().is_empty()) {
            continue;
        }
        let values = columns
            .iter()
            .zip(record.iter())
            .map(|(c, v)| (*c, v.trim().to_owned()))
            .collect();
        records.push(Cells { line, values });
    }
    if records.is_empty() {
        return Err(AppError::bad_request(
            "body",
            "import.empty",
            "the file has no rows",
        ));
    }
    Ok(records)
}
