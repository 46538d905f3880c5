//! Writing tables as CSV (UTF-8 with a BOM, so Excel reads the Chinese) or as XLSX workbooks
//! with a bold, frozen header row.

use crate::error::AppError;

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
        writer.write_record(row.as_ref()).map_err(fail)?;
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
                    .write_string(r as u32 + 1, col as u16, value)
                    .map_err(fail)?;
            }
        }
        worksheet.set_freeze_panes(1, 0).map_err(fail)?;
    }
    workbook.save_to_buffer().map_err(fail)
}
