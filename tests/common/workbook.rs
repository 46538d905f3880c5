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

/// The headers of the web import tests' sheets.
const PEOPLE_HEADERS: [&str; 8] = [
    "姓名",
    "性别",
    "出生日期",
    "身份证号码",
    "手机号码",
    "街道代码",
    "社区代码",
    "类别",
];

/// Fifty people of 天马街道 as volunteers of its first community; rows 12, 30 and 45 (Excel
/// rows) are wrong: an ID number stored as a number, a wrong check character, no phone.
pub fn fifty_with_three_bad_rows() -> Vec<u8> {
    let mut rows = vec![(
        1,
        PEOPLE_HEADERS
            .iter()
            .map(|h| text(*h))
            .collect::<Vec<Cell>>(),
    )];
    for n in 0..50u16 {
        let line = u32::from(n) + 2;
        let number = super::id_number("450203", "19750101", 300 + n);
        let id_cell = match line {
            12 => Cell::Number(number[..17].parse::<f64>().unwrap() * 10.0),
            30 => text(format!(
                "{}{}",
                &number[..17],
                if number.ends_with('0') { '1' } else { '0' }
            )),
            _ => text(number),
        };
        let phone = if line == 45 {
            Cell::Blank
        } else {
            text(format!("1390000{:04}", n))
        };
        rows.push((
            line,
            vec![
                text(format!("导入{n:02}")),
                Cell::Blank,
                Cell::Date(1975, 1, 1),
                id_cell,
                phone,
                text("450203001"),
                text("450203001001"),
                text("全民健身志愿者"),
            ],
        ));
    }
    workbook(&rows)
}
