//! Reading an uploaded file, CSV (`csv`) or the first sheet of an XLSX workbook (`xlsx`), into
//! rows of cells by column, with their line numbers and the header each column was written under
//! (its English field name or its Chinese header).

mod csv;
mod unpacked;
mod xlsx;

use std::collections::HashMap;

pub(super) use self::{csv::read_csv, xlsx::read_xlsx};
use crate::{
    domain::{
        FieldViolation,
        import::{REQUIRED_COLUMNS, both_names, column, every_column, header_of},
    },
    error::AppError,
};
pub use xlsx::{MAX_COLUMNS, MAX_ROWS};

/// One row's raw cells by column name.
pub(super) struct Cells<'a> {
    pub(super) line: u64,
    pub(super) values: HashMap<&'a str, String>,
    /// Cells the reader refused as they are (an XLSX error cell, an ID number stored as a
    /// number): the row is refused for them, and they count as absent for the other checks.
    pub(super) problems: Vec<FieldViolation>,
}

impl Cells<'_> {
    pub(super) fn get(&self, column: &str) -> Option<&str> {
        self.values
            .get(column)
            .map(String::as_str)
            .filter(|v| !v.is_empty())
    }
}

/// The rows of a file, and how its header names the columns.
pub(super) struct Table {
    pub(super) rows: Vec<Cells<'static>>,
    header: Header,
}

impl Table {
    /// The column of `field` as the file names it (`身份证号码` in a file with Chinese headers),
    /// for errors. A column the file lacks is named in the language of the file's headers.
    pub(super) fn column_label(&self, field: &str) -> String {
        if let Some(written) = self.header.written.get(field) {
            return written.clone();
        }
        match header_of(field) {
            Some(chinese) if self.header.chinese => chinese.to_owned(),
            _ => field.to_owned(),
        }
    }
}

/// A header row: the field of each column in order, and how the file wrote it.
pub(super) struct Header {
    pub(super) fields: Vec<&'static str>,
    written: HashMap<&'static str, String>,
    /// Whether any column is named by its Chinese header.
    chinese: bool,
}

impl Header {
    /// Every header must name a column, in English or in Chinese, and the required columns must
    /// be there.
    pub(super) fn parse<'h>(headers: impl IntoIterator<Item = &'h str>) -> Result<Self, AppError> {
        let mut header = Header {
            fields: Vec::new(),
            written: HashMap::new(),
            chinese: false,
        };
        for written in headers {
            let name = written.trim();
            let known = column(name).ok_or_else(|| {
                AppError::bad_request(
                    "header",
                    "import.unknown_column",
                    format!(
                        "unknown column {name:?}; the columns are {}",
                        every_column()
                    ),
                )
            })?;
            header.chinese |= name == known.header;
            header.fields.push(known.field);
            header.written.insert(known.field, name.to_owned());
        }
        for required in REQUIRED_COLUMNS {
            if !header.fields.contains(&required) {
                return Err(AppError::bad_request(
                    "header",
                    "import.missing_column",
                    format!("the column {} is missing", both_names(required)),
                ));
            }
        }
        Ok(header)
    }
}

/// A file without a row of people.
fn empty() -> AppError {
    AppError::bad_request("body", "import.empty", "the file has no rows")
}
