//! Reading the first sheet of an XLSX workbook (with calamine): the header is the sheet's first
//! row with a value, a row's line is its row number as Excel shows it, and each cell becomes the
//! text a CSV would have held ([`cell_text`]). The sheet is streamed cell by cell and refused as
//! soon as it passes [`MAX_ROWS`] or [`MAX_COLUMNS`], before any row is checked.

use std::{
    collections::{BTreeMap, HashMap},
    io::Cursor,
};

use calamine::{DataRef, Reader, Xlsx};
use chrono::NaiveDate;

use super::{Cells, Header, Table, empty, unpacked::declared_unpacked_size};
use crate::{domain::FieldViolation, error::AppError};

/// The most rows of people a sheet may hold below its header.
pub const MAX_ROWS: u32 = 100_000;
/// The most columns a sheet may use (A to AX).
pub const MAX_COLUMNS: u32 = 50;
/// The most cells read, empty ones too: a sheet repeating empty cells is stopped here.
const MAX_CELLS: u64 = (MAX_ROWS as u64 + 1) * MAX_COLUMNS as u64;
/// The most text the cells may hold together (a shared string may be repeated in every cell).
const MAX_TEXT: usize = 64 * 1024 * 1024;
/// The most the workbook's parts may unpack to, as its ZIP directory declares them.
const MAX_UNPACKED: u64 = 256 * 1024 * 1024;

/// A cell's value, owned, as calamine read it.
#[derive(Debug, Clone, PartialEq)]
enum Value {
    Text(String),
    Number(f64),
    Day(NaiveDate),
    Bool(bool),
    Error(String),
}

impl Value {
    /// The value of a cell, `None` when it is empty or blank text.
    fn of(data: &DataRef<'_>) -> Option<Self> {
        let text = |s: &str| Some(s.trim()).filter(|s| !s.is_empty()).map(str::to_owned);
        Some(match data {
            DataRef::Empty => return None,
            DataRef::String(s) => Self::Text(text(s)?),
            DataRef::SharedString(s) => Self::Text(text(s)?),
            DataRef::DurationIso(s) => Self::Text(text(s)?),
            DataRef::DateTimeIso(s) => s
                .get(..10)
                .and_then(|day| NaiveDate::parse_from_str(day, "%Y-%m-%d").ok())
                .map_or_else(|| Self::Text(s.trim().to_owned()), Self::Day),
            DataRef::Int(n) => Self::Number(*n as f64),
            DataRef::Float(n) => Self::Number(*n),
            DataRef::Bool(b) => Self::Bool(*b),
            DataRef::DateTime(t) if t.is_datetime() => {
                let (year, month, day, ..) = t.to_ymd_hms_milli();
                NaiveDate::from_ymd_opt(year.into(), month.into(), day.into())
                    .map_or(Self::Number(t.as_f64()), Self::Day)
            }
            DataRef::DateTime(t) => Self::Number(t.as_f64()),
            DataRef::Error(e) => Self::Error(e.to_string()),
        })
    }

    /// How many bytes of text the value holds.
    fn len(&self) -> usize {
        match self {
            Self::Text(s) | Self::Error(s) => s.len(),
            _ => 8,
        }
    }
}

/// An integer-valued number as its digits (a phone stored as a number, 13800138000), any other
/// number as Rust writes it (never in exponent form).
fn number_text(n: f64) -> String {
    if n.fract() == 0.0 && n.abs() < 9.0e15 {
        format!("{}", n as i64)
    } else {
        n.to_string()
    }
}

/// The text of a cell of the column `field`: a day as `YYYY-MM-DD` (the time of a date-time
/// dropped), a number as its digits. An ID number must be a text cell: a number
/// cell has lost its last digits, as Excel keeps 15 significant digits (an 18-digit number even
/// looks whole, rounded), and a date or TRUE/FALSE is no ID number. An error cell (`#N/A`) is
/// refused.
fn cell_text(field: &'static str, value: Value) -> Result<String, FieldViolation> {
    if field == "id_number" && !matches!(value, Value::Text(_) | Value::Error(_)) {
        let message = if matches!(value, Value::Number(_)) {
            "is a number cell: Excel keeps only 15 significant digits, so the number has lost \
             its last digits; format the column as text (文本) and type the ID numbers again"
        } else {
            "must be a text cell: format the column as text (文本) and type the ID numbers again"
        };
        return Err(FieldViolation::new(
            field,
            "import.id_number_not_text",
            message,
        ));
    }
    Ok(match value {
        Value::Text(s) => s,
        Value::Number(n) => number_text(n),
        Value::Day(day) => day.format("%Y-%m-%d").to_string(),
        Value::Bool(b) => if b { "TRUE" } else { "FALSE" }.to_owned(),
        Value::Error(e) => {
            return Err(FieldViolation::new(
                field,
                "import.cell_error",
                format!("the cell holds the spreadsheet error {e}"),
            ));
        }
    })
}

/// A header cell's text.
fn header_text(value: &Value) -> String {
    match value {
        Value::Text(s) | Value::Error(s) => s.clone(),
        Value::Number(n) => number_text(*n),
        Value::Day(day) => day.to_string(),
        Value::Bool(b) => b.to_string(),
    }
}

/// A column's letters as Excel shows them: 0 is `A`, 26 is `AA`.
fn column_letters(mut col: u32) -> String {
    let mut letters = Vec::new();
    loop {
        letters.push(b'A' + (col % 26) as u8);
        if col < 26 {
            break;
        }
        col = col / 26 - 1;
    }
    letters.reverse();
    String::from_utf8_lossy(&letters).into_owned()
}

fn not_xlsx(error: impl std::fmt::Display) -> AppError {
    AppError::bad_request(
        "body",
        "import.not_xlsx",
        format!("not a readable XLSX workbook: {error}"),
    )
}

fn too_large(code: &'static str, message: String) -> AppError {
    AppError::bad_request("body", code, message)
}

/// The cells with a value of the workbook's first sheet, by row and column (0-based), read
/// within the limits.
fn first_sheet(body: &[u8]) -> Result<BTreeMap<u32, Vec<(u32, Value)>>, AppError> {
    if declared_unpacked_size(body).is_some_and(|size| size > MAX_UNPACKED) {
        return Err(too_large(
            "import.too_large",
            format!(
                "the workbook unpacks to more than {} MiB",
                MAX_UNPACKED / 1024 / 1024
            ),
        ));
    }
    let mut workbook = Xlsx::new(Cursor::new(body)).map_err(not_xlsx)?;
    let Some(name) = workbook.sheet_names().into_iter().next() else {
        return Err(empty());
    };
    let mut reader = workbook.worksheet_cells_reader(&name).map_err(not_xlsx)?;
    let mut rows: BTreeMap<u32, Vec<(u32, Value)>> = BTreeMap::new();
    let (mut cells, mut text) = (0u64, 0usize);
    while let Some(cell) = reader.next_cell().map_err(not_xlsx)? {
        cells += 1;
        if cells > MAX_CELLS {
            return Err(too_large(
                "import.too_large",
                format!("the sheet has more than {MAX_CELLS} cells"),
            ));
        }
        let Some(value) = Value::of(cell.get_value()) else {
            continue;
        };
        let (row, col) = cell.get_position();
        if row > MAX_ROWS {
            return Err(too_large(
                "import.too_many_rows",
                format!(
                    "the sheet goes on past row {}: at most {MAX_ROWS} rows of people below the \
                     header; split the file",
                    MAX_ROWS + 1
                ),
            ));
        }
        if col >= MAX_COLUMNS {
            return Err(too_large(
                "import.too_many_columns",
                format!(
                    "the sheet has a value in column {} (row {}): at most {MAX_COLUMNS} columns",
                    column_letters(col),
                    row + 1
                ),
            ));
        }
        text += value.len();
        if text > MAX_TEXT {
            return Err(too_large(
                "import.too_large",
                format!(
                    "the sheet holds more than {} MiB of text",
                    MAX_TEXT / 1024 / 1024
                ),
            ));
        }
        rows.entry(row).or_default().push((col, value));
    }
    Ok(rows)
}

/// The rows of the first sheet of an XLSX workbook under a header of known columns.
pub(in crate::services::import) fn read_xlsx(body: &[u8]) -> Result<Table, AppError> {
    let mut rows = first_sheet(body)?.into_iter();
    let Some((_, mut header_cells)) = rows.next() else {
        return Err(empty());
    };
    header_cells.sort_by_key(|(col, _)| *col);
    let texts: Vec<String> = header_cells.iter().map(|(_, v)| header_text(v)).collect();
    let header = Header::parse(texts.iter().map(String::as_str))?;
    let by_column: HashMap<u32, &'static str> = header_cells
        .iter()
        .map(|(col, _)| *col)
        .zip(header.fields.iter().copied())
        .collect();
    let mut records = Vec::new();
    for (row, cells) in rows {
        let line = u64::from(row) + 1;
        let mut values = HashMap::new();
        let mut problems = Vec::new();
        for (col, value) in cells {
            let Some(field) = by_column.get(&col).copied() else {
                return Err(AppError::bad_request(
                    "header",
                    "import.unknown_column",
                    format!(
                        "column {} has a value on line {line} but no header",
                        column_letters(col)
                    ),
                ));
            };
            match cell_text(field, value) {
                Ok(text) => {
                    values.insert(field, text);
                }
                Err(problem) => problems.push(problem),
            }
        }
        records.push(Cells {
            line,
            values,
            problems,
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_are_written_as_their_digits() {
        assert_eq!(number_text(13800138000.0), "13800138000");
        assert_eq!(number_text(450203001.0), "450203001");
        assert_eq!(number_text(-3.0), "-3");
        assert_eq!(number_text(1.5), "1.5");
        assert_eq!(number_text(4.502031985e17), "450203198500000000");
    }

    #[test]
    fn an_id_number_must_be_a_text_cell() {
        for value in [
            Value::Number(450203198506150000.0),
            Value::Number(450203850615001.0),
            Value::Day(NaiveDate::from_ymd_opt(2024, 3, 5).unwrap()),
            Value::Bool(true),
        ] {
            let refused = cell_text("id_number", value.clone()).unwrap_err();
            assert_eq!(refused.code, "import.id_number_not_text", "{value:?}");
        }
        assert!(
            cell_text("id_number", Value::Number(1.0))
                .unwrap_err()
                .message
                .contains("15 significant digits")
        );
        assert_eq!(
            cell_text("id_number", Value::Text("450203198506150015".into())),
            Ok("450203198506150015".into())
        );
        assert_eq!(
            cell_text("phone", Value::Number(13800138000.0)),
            Ok("13800138000".into())
        );
        assert_eq!(
            cell_text(
                "certified_on",
                Value::Day(NaiveDate::from_ymd_opt(2024, 3, 5).unwrap())
            ),
            Ok("2024-03-05".into())
        );
        assert_eq!(
            cell_text("email", Value::Error("#N/A".into()))
                .unwrap_err()
                .code,
            "import.cell_error"
        );
    }

    #[test]
    fn columns_are_lettered_as_excel_does() {
        assert_eq!(column_letters(0), "A");
        assert_eq!(column_letters(25), "Z");
        assert_eq!(column_letters(26), "AA");
        assert_eq!(column_letters(49), "AX");
        assert_eq!(column_letters(701), "ZZ");
        assert_eq!(column_letters(702), "AAA");
    }
}
