//! Reading an uploaded CSV file into rows of cells by column, with their line numbers and the
//! header each column was written under (its English field name or its Chinese header).

use std::collections::HashMap;

use crate::{
    domain::import::{REQUIRED_COLUMNS, both_names, column, every_column, header_of},
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

/// The rows of a CSV file (UTF-8, with or without BOM) under a header of known columns.
pub(super) fn read_csv(body: &[u8]) -> Result<Table, AppError> {
    let body = body.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(body);
    let mut reader = csv::ReaderBuilder::new().flexible(true).from_reader(body);
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
        records.push(Cells { line, values });
    }
    if records.is_empty() {
        return Err(AppError::bad_request(
            "body",
            "import.empty",
            "the file has no rows",
        ));
    }
    Ok(Table {
        rows: records,
        header,
    })
}
