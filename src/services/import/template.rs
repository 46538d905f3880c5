//! The import template: the header row with the Chinese column names and one example row (a
//! made-up person who passes every check), as CSV (UTF-8 with BOM, so Excel reads the Chinese)
//! or as an XLSX workbook whose ID number, phone and code columns are text (a number cell would
//! lose an ID number's last digits), whose date columns are dates, and whose second sheet 说明
//! explains each column and the values it takes. Imported unchanged, it gives one valid row.

use rust_xlsxwriter::{ExcelDateTime, Format, Workbook, Worksheet, XlsxError};
use sea_orm::{DatabaseConnection, EntityTrait, QueryOrder};

use super::{FileFormat, require_importer};
use crate::{
    auth::Caller,
    domain::import::{COLUMNS, DATE_COLUMNS},
    entities::sport_item,
    error::AppError,
    services::spreadsheet,
};

/// The example person, column by column (a valid ID number of 鱼峰区, born 1985-06-15, male;
/// a third-grade instructor of 天马街道's 鱼峰社区 since 2024-03-05).
const EXAMPLE: [&str; 14] = [
    "李明",
    "男",
    "1985-06-15",
    "450203198506150015",
    "13907720001",
    "liming@example.com",
    "450203001",
    "450203001001",
    "社会体育指导员",
    "三级",
    "",
    "YF-2024-001",
    "2024-03-05",
    "太极拳、广场舞",
];

/// The values of the enumerated columns, as the 说明 sheet lists them.
const GENDERS: [&str; 2] = ["男", "女"];
const ROLES: [&str; 4] = [
    "社会体育指导员",
    "全民健身志愿者",
    "科学健身指导员",
    "文体管理员",
];
const GRADES: [&str; 4] = ["三级", "二级", "一级", "国家级"];
const EMPLOYMENTS: [&str; 2] = ["专职", "兼职"];

/// Columns written as text in the workbook.
const TEXT_COLUMNS: [&str; 5] = [
    "id_number",
    "phone",
    "street_code",
    "community_code",
    "certificate_no",
];

const SHEET: &str = "人员导入";
const NOTES_SHEET: &str = "说明";

/// The template in `format`, for whoever may import.
pub async fn template(
    db: &DatabaseConnection,
    caller: &Caller,
    format: FileFormat,
) -> Result<Vec<u8>, AppError> {
    require_importer(caller)?;
    let headers: Vec<&str> = COLUMNS.iter().map(|c| c.header).collect();
    match format {
        FileFormat::Csv => spreadsheet::csv(&headers, &[EXAMPLE.map(str::to_owned)]),
        FileFormat::Xlsx => {
            let items = sport_item::Entity::find()
                .order_by_asc(sport_item::Column::Id)
                .all(db)
                .await?;
            workbook(&headers, &items).map_err(|e| AppError::Internal(format!("xlsx: {e}")))
        }
    }
}

/// Whether a column must be filled, and what it holds, in Chinese.
fn note(field: &str, sport_items: &str) -> (&'static str, String) {
    let listed = |values: &[&str]| values.join("、");
    match field {
        "name" => ("是", "姓名，不超过 50 个字".into()),
        "gender" => (
            "否",
            format!(
                "{}（也可写 male、female）；须与身份证号码相符",
                listed(&GENDERS)
            ),
        ),
        "birth_date" => (
            "否",
            "日期单元格，或写作 1985-06-15、1985/6/15、1985年6月15日；须与身份证号码相符".into(),
        ),
        "id_number" => (
            "是",
            "18 位居民身份证号码，末位可为 X。本列须为文本格式：数字单元格只保留 15 位有效数字，\
             末几位会丢失，该行将被拒绝"
                .into(),
        ),
        "phone" => ("是", "11 位手机号码，可带 +86".into()),
        "email" => ("否", "电子邮箱地址".into()),
        "street_code" => (
            "是",
            "9 位街道（乡镇）代码，如 450203001；街道办只能导入本街道的人员".into(),
        ),
        "community_code" => (
            "否",
            "12 位社区（村）代码，须属于所填街道；填写后自发证日期起在该社区任职，须同时填写类别"
                .into(),
        ),
        "role" => (
            "否",
            format!("{}；同一人已登记时，为其增加该资格", listed(&ROLES)),
        ),
        "grade" => (
            "社会体育指导员必填",
            format!("{}；其他类别不填；街道办只能登记三级", listed(&GRADES)),
        ),
        "employment" => (
            "文体管理员必填",
            format!("{}；其他类别不填", listed(&EMPLOYMENTS)),
        ),
        "certificate_no" => (
            "否",
            "资格证书编号；专长含高危项目时，填写其职业资格许可证号".into(),
        ),
        "certified_on" => (
            "否",
            "日期，写法同出生日期；不填则为导入当天；不得晚于今天，当天须已满最低年龄".into(),
        ),
        "specialties" => (
            "否",
            format!("体育项目的中文名称或代码，多个用 、 分隔（也可用 ;）。可选：{sport_items}"),
        ),
        _ => ("否", String::new()),
    }
}

/// The sport items as the 说明 sheet lists them: `太极拳（taichi）`, high-risk ones marked.
fn sport_item_list(items: &[sport_item::Model]) -> String {
    items
        .iter()
        .map(|item| {
            if item.high_risk {
                format!("{}（{}，高危，须填证书编号）", item.name, item.code)
            } else {
                format!("{}（{}）", item.name, item.code)
            }
        })
        .collect::<Vec<_>>()
        .join("、")
}

fn workbook(headers: &[&str], items: &[sport_item::Model]) -> Result<Vec<u8>, XlsxError> {
    let mut workbook = Workbook::new();
    let bold = Format::new().set_bold();
    let as_text = Format::new().set_num_format("@");
    let as_day = Format::new().set_num_format("yyyy-mm-dd");
    let sheet = workbook.add_worksheet();
    sheet.set_name(SHEET)?;
    for (col, (column, example)) in COLUMNS.iter().zip(EXAMPLE).enumerate() {
        let col = col as u16;
        sheet.write_string_with_format(0, col, headers[usize::from(col)], &bold)?;
        sheet.set_column_width(col, 14)?;
        if TEXT_COLUMNS.contains(&column.field) {
            sheet.set_column_format(col, &as_text)?;
            sheet.write_string_with_format(1, col, example, &as_text)?;
        } else if DATE_COLUMNS.contains(&column.field) {
            sheet.set_column_format(col, &as_day)?;
            write_day(sheet, col, example, &as_day)?;
        } else {
            sheet.write_string(1, col, example)?;
        }
    }
    sheet.set_column_width(3, 22)?;
    sheet.set_freeze_panes(1, 0)?;

    let notes = workbook.add_worksheet();
    notes.set_name(NOTES_SHEET)?;
    for (col, title) in ["列名", "字段名", "是否必填", "说明"].iter().enumerate() {
        notes.write_string_with_format(0, col as u16, *title, &bold)?;
    }
    let sport_items = sport_item_list(items);
    for (row, column) in COLUMNS.iter().enumerate() {
        let row = row as u32 + 1;
        let (required, text) = note(column.field, &sport_items);
        notes.write_string(row, 0, column.header)?;
        notes.write_string(row, 1, column.field)?;
        notes.write_string(row, 2, required)?;
        notes.write_string(row, 3, text)?;
    }
    let general = [
        "每行一人，第一行为表头；表头可用中文列名或英文字段名。只读取第一个工作表。",
        "导入前可先“试导入”（不写入）查看每行的问题；默认有任何一行出错则全部不导入。",
        "同一身份证号码已登记的，为其增加该行的资格和任职。",
    ];
    let first = COLUMNS.len() as u32 + 2;
    for (i, line) in general.iter().enumerate() {
        notes.write_string(first + i as u32, 0, *line)?;
    }
    notes.set_column_width(0, 14)?;
    notes.set_column_width(1, 16)?;
    notes.set_column_width(2, 18)?;
    notes.set_column_width(3, 90)?;
    workbook.save_to_buffer()
}

/// The example's day as a date cell.
fn write_day(sheet: &mut Worksheet, col: u16, day: &str, format: &Format) -> Result<(), XlsxError> {
    let parts: Vec<u16> = day.split('-').filter_map(|p| p.parse().ok()).collect();
    match parts[..] {
        [year, month, day] => {
            let date = ExcelDateTime::from_ymd(year, month as u8, day as u8)?;
            sheet.write_date_with_format(1, col, date, format)?;
        }
        _ => {
            sheet.write_string(1, col, day)?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{
        account::Email,
        id_number::IdNumber,
        import::{parse_date, parse_employment, parse_gender, parse_grade, parse_role},
        phone::Phone,
    };

    #[test]
    fn the_example_person_passes_every_rule_of_its_cells() {
        let today = chrono::NaiveDate::from_ymd_opt(2026, 1, 1).unwrap();
        let number = IdNumber::parse(EXAMPLE[3], today).expect("a valid ID number");
        assert_eq!(Some(number.birth_date()), parse_date(EXAMPLE[2]));
        assert_eq!(Some(number.gender()), parse_gender(EXAMPLE[1]));
        assert!(Phone::parse(EXAMPLE[4]).is_ok());
        assert!(Email::parse(EXAMPLE[5]).is_ok());
        assert!(parse_role(EXAMPLE[8]).is_some_and(|r| r.has_grade()));
        assert!(parse_grade(EXAMPLE[9]).is_some());
        assert!(parse_date(EXAMPLE[12]).is_some());
    }

    #[test]
    fn the_notes_list_values_the_import_takes_and_explain_every_column() {
        assert!(GENDERS.iter().all(|g| parse_gender(g).is_some()));
        assert!(ROLES.iter().all(|r| parse_role(r).is_some()));
        assert!(GRADES.iter().all(|g| parse_grade(g).is_some()));
        assert!(EMPLOYMENTS.iter().all(|e| parse_employment(e).is_some()));
        for column in COLUMNS {
            assert!(!note(column.field, "").1.is_empty(), "{}", column.field);
        }
        assert!(
            note("role", "")
                .1
                .contains("社会体育指导员、全民健身志愿者")
        );
    }
}
