//! Reading a CSV file (UTF-8, with or without BOM): the header is its first line.

use super::{Cells, Header, Table, empty};
use crate::error::AppError;

/// The rows of a CSV file (UTF-8, with or without BOM) under a header of known columns.
pub(in crate::services::import) fn read_csv(body: &[u8]) -> Result<Table, AppError> {
    let body = body.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(body);
    let mut reader = ::csv::ReaderBuilder::new().flexible(true).from_reader(body);
    let headers = reader
        .headers()
        .map_err(|e| {
            AppError::bad_request("body", "import.not_csv", format!("not a CSV file: {e}"))
        })?
        .clone();
    let header = Header::parse(headers.iter())?;
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
        let values = header
            .fields
            .iter()
            .zip(record.iter())
            .map(|(c, v)| (*c, v.trim().to_owned()))
            .collect();
        records.push(Cells {
            line,
            values,
            problems: Vec::new(),
        });
    }
    if records.is_empty() {
        return Err(empty());
    }
    Ok(Table {
        rows: records,
        header,
    })
}
