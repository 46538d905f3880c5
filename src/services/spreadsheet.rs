//! Writing tables as CSV (UTF-8 with a BOM, so Excel reads the Chinese) or as XLSX workbooks
//! with a bold, frozen header row. Every cell is text: a CSV cell that a spreadsheet would read
//! as a formula is neutralised, and control characters never reach a file.

use std::borrow::Cow;

use crate::error::AppError;

/// A cell as it may be written: control characters (but tab and newline) dropped.
fn clean(value: &str) -> Cow<'_, str> {
    if value
        .chars()
        .any(|c| c.is_control() && c != '\n' && c != '\t')
    {
        Cow::Owned(
            value
                .chars()
                .filter(|c| !c.is_control() || *c == '\n' || *c == '\t')
                .collect(),
        )
    } else {
        Cow::Borrowed(value)
    }
}

/// A CSV cell that Excel or LibreOffice would run as a formula (it starts with `=`, `+`, `-`,
/// `@`, a tab or a carriage return) gets a leading apostrophe, as OWASP advises, so it is shown
/// as the text it is.
fn csv_cell(value: &str) -> Cow<'_, str> {
    let starts_formula = value
        .chars()
        .next()
        .is_some_and(|c| matches!(c, '=' | '+' | '-' | '@' | '\t' | '\r'));
    let cleaned = clean(value);
    if starts_formula {
        Cow::Owned(format!("'{cleaned}"))
    } else {
        cleaned
    }
}

/// One worksheet of a workbook.
pub struct Sheet<'a, R> {
    pub name: &'a str,
    pub headers: &'a [&'a str],
    pub rows: &'a [R],
}

/// A CSV file of `headers` and `rows`.
pub fn csv<R: AsRef<[String]>>(headers: &[&str], rows: &[R]) -> Result<Vec<u8>, AppError> {
    let fail = |e: csv::Error| AppError::Internal(format!("csv: {e}"));
    let mut writer = csv::Writer::from_writer(b"\xEF\xBB\xBF".to_vec());
    writer.write_record(headers).map_err(fail)?;
    for row in rows {
        writer
            .write_record(row.as_ref().iter().map(|cell| csv_cell(cell).into_owned()))
            .map_err(fail)?;
    }
    writer
        .into_inner()
        .map_err(|e| AppError::Internal(format!("csv: {e}")))
}

/// An XLSX workbook with one worksheet per sheet, every cell text.
pub fn xlsx<R: AsRef<[String]>>(sheets: &[Sheet<'_, R>]) -> Result<Vec<u8>, AppError> {
    let fail = |e: rust_xlsxwriter::XlsxError| AppError::Internal(format!("xlsx: {e}"));
    let mut workbook = rust_xlsxwriter::Workbook::new();
    let bold = rust_xlsxwriter::Format::new().set_bold();
    for sheet in sheets {
        let worksheet = workbook.add_worksheet();
        worksheet.set_name(sheet.name).map_err(fail)?;
        for (col, header) in sheet.headers.iter().enumerate() {
            worksheet
                .write_string_with_format(0, col as u16, *header, &bold)
                .map_err(fail)?;
        }
        for (r, row) in sheet.rows.iter().enumerate() {
            for (col, value) in row.as_ref().iter().enumerate() {
                worksheet
                    .write_string(r as u32 + 1, col as u16, clean(value))
                    .map_err(fail)?;
            }
        }
        worksheet.set_freeze_panes(1, 0).map_err(fail)?;
    }
    workbook.save_to_buffer().map_err(fail)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cells_that_would_run_as_formulas_are_neutralised() {
        for hostile in [
            "=HYPERLINK(\"http://e\",\"x\")",
            "+1+1",
            "-2+3",
            "@SUM(A1)",
            "\t=1",
            "\r=1",
        ] {
            assert!(csv_cell(hostile).starts_with('\''), "{hostile:?}");
        }
        assert_eq!(csv_cell("张三"), "张三");
        assert_eq!(csv_cell("a=b"), "a=b");
        assert_eq!(clean("a\u{0}b\u{7}c"), "abc");
        let file = String::from_utf8(
            csv(
                &["姓名"],
                &[vec!["=HYPERLINK(\"http://e\",\"x\")".to_owned()]],
            )
            .unwrap(),
        )
        .unwrap();
        assert!(
            file.contains("\"'=HYPERLINK(\"\"http://e\"\",\"\"x\"\")\""),
            "{file}"
        );
    }
}
