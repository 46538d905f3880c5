//! Workbooks written with rust_xlsxwriter, as a spreadsheet program would save them, for the
//! import tests.

use rust_xlsxwriter::{ExcelDateTime, Format, Formula, Workbook};

/// The XLSX media type.
pub const XLSX: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

/// A cell of a test sheet.
pub enum Cell {
    Blank,
    Text(String),
    Number(f64),
    /// A date cell with a date number format.
    Date(u16, u8, u8),
    /// A date-time cell with a date-time number format.
    DateTime(u16, u8, u8, u16, u8),
    /// A formula and the result Excel saved for it.
    Formula(&'static str, &'static str),
}

pub fn text(value: impl Into<String>) -> Cell {
    Cell::Text(value.into())
}

/// A workbook whose first sheet holds `rows`, each at its Excel row number (1-based), cells from
/// column A on; a second sheet follows, which the import ignores.
pub fn workbook(rows: &[(u32, Vec<Cell>)]) -> Vec<u8> {
    let mut workbook = Workbook::new();
    let day = Format::new().set_num_format("yyyy-mm-dd");
    let moment = Format::new().set_num_format("yyyy-mm-dd hh:mm");
    let sheet = workbook.add_worksheet();
    for (line, cells) in rows {
        let row = line - 1;
        for (col, cell) in cells.iter().enumerate() {
            let col = col as u16;
            match cell {
                Cell::Blank => sheet.write_blank(row, col, &Format::new()),
                Cell::Text(s) => sheet.write_string(row, col, s),
                Cell::Number(n) => sheet.write_number(row, col, *n),
                Cell::Date(y, m, d) => sheet.write_date_with_format(
                    row,
                    col,
                    ExcelDateTime::from_ymd(*y, *m, *d).unwrap(),
                    &day,
                ),
                Cell::DateTime(y, m, d, h, min) => sheet.write_datetime_with_format(
                    row,
                    col,
                    ExcelDateTime::from_ymd(*y, *m, *d)
                        .unwrap()
                        .and_hms(*h, *min, 0)
                        .unwrap(),
                    &moment,
                ),
                Cell::Formula(formula, result) => {
                    sheet.write_formula(row, col, Formula::new(*formula).set_result(*result))
                }
            }
            .unwrap();
        }
    }
    workbook
        .add_worksheet()
        .write_string(0, 0, "not read")
        .unwrap();
    workbook.save_to_buffer().unwrap()
}
