//! The people import file (DOMAIN.md section 8): its columns, each under an English field name
//! or a Chinese header, and the Chinese or English values they take. Parsing here is pure; the
//! import service checks rows against the database.

use chrono::NaiveDate;

use super::person::{Employment, Gender, Grade, QualificationKind};

/// One column of the file: the field name rows' errors name it by, and the Chinese header a
/// file may carry instead (the people export's where they overlap).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Column {
    pub field: &'static str,
    pub header: &'static str,
}

const fn column_of(field: &'static str, header: &'static str) -> Column {
    Column { field, header }
}

/// Every column, in the documented order.
pub const COLUMNS: [Column; 14] = [
    column_of("name", "姓名"),
    column_of("gender", "性别"),
    column_of("birth_date", "出生日期"),
    column_of("id_number", "身份证号码"),
    column_of("phone", "手机号码"),
    column_of("email", "电子邮箱"),
    column_of("street_code", "街道代码"),
    column_of("community_code", "社区代码"),
    column_of("role", "类别"),
    column_of("grade", "等级"),
    column_of("employment", "用工形式"),
    column_of("certificate_no", "证书编号"),
    column_of("certified_on", "发证日期"),
    column_of("specialties", "专长"),
];

/// Columns a file must have.
pub const REQUIRED_COLUMNS: [&str; 4] = ["name", "id_number", "phone", "street_code"];

/// Columns that hold a day.
pub const DATE_COLUMNS: [&str; 2] = ["birth_date", "certified_on"];

/// The column a header names, by its field name or its Chinese header (surrounding white space
/// ignored).
pub fn column(header: &str) -> Option<&'static Column> {
    let header = header.trim();
    COLUMNS
        .iter()
        .find(|c| c.field == header || c.header == header)
}

/// The Chinese header of a field.
pub fn header_of(field: &str) -> Option<&'static str> {
    COLUMNS.iter().find(|c| c.field == field).map(|c| c.header)
}

/// A field with its Chinese header, as messages name a column: `id_number (身份证号码)`.
pub fn both_names(field: &str) -> String {
    match header_of(field) {
        Some(header) => format!("{field} ({header})"),
        None => field.to_owned(),
    }
}

/// Every column in both forms, for messages.
pub fn every_column() -> String {
    COLUMNS
        .iter()
        .map(|c| both_names(c.field))
        .collect::<Vec<_>>()
        .join(", ")
}

/// A day written `2024-03-05`, `2024/3/5` or `2024年3月5日`.
pub fn parse_date(value: &str) -> Option<NaiveDate> {
    ["%Y-%m-%d", "%Y/%m/%d", "%Y年%m月%d日"]
        .iter()
        .find_map(|format| NaiveDate::parse_from_str(value.trim(), format).ok())
}

pub fn parse_gender(value: &str) -> Option<Gender> {
    match value.trim() {
        "男" | "male" | "Male" | "M" => Some(Gender::Male),
        "女" | "female" | "Female" | "F" => Some(Gender::Female),
        _ => None,
    }
}

pub fn parse_role(value: &str) -> Option<QualificationKind> {
    match value.trim() {
        "社会体育指导员" | "social_sports_instructor" => {
            Some(QualificationKind::SocialSportsInstructor)
        }
        "全民健身志愿者" | "fitness_volunteer" => Some(QualificationKind::FitnessVolunteer),
        "科学健身指导员" | "scientific_fitness_instructor" => {
            Some(QualificationKind::ScientificFitnessInstructor)
        }
        "文体管理员" | "基层文体管理员" | "community_sports_administrator" => {
            Some(QualificationKind::CommunitySportsAdministrator)
        }
        _ => None,
    }
}

pub fn parse_grade(value: &str) -> Option<Grade> {
    match value.trim() {
        "三级" | "third" => Some(Grade::Third),
        "二级" | "second" => Some(Grade::Second),
        "一级" | "first" => Some(Grade::First),
        "国家级" | "national" => Some(Grade::National),
        _ => None,
    }
}

pub fn parse_employment(value: &str) -> Option<Employment> {
    match value.trim() {
        "专职" | "full_time" => Some(Employment::FullTime),
        "兼职" | "part_time" => Some(Employment::PartTime),
        _ => None,
    }
}

/// Specialties separated by `;` or `、` (also `；` and `,`).
pub fn split_specialties(value: &str) -> Vec<String> {
    value
        .split([';', '、', '；', ','])
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chinese_and_english_values_are_accepted() {
        assert_eq!(parse_gender("男"), Some(Gender::Male));
        assert_eq!(parse_gender("female"), Some(Gender::Female));
        assert_eq!(
            parse_role("文体管理员"),
            Some(QualificationKind::CommunitySportsAdministrator)
        );
        assert_eq!(
            parse_role("全民健身志愿者"),
            Some(QualificationKind::FitnessVolunteer)
        );
        assert_eq!(parse_grade("国家级"), Some(Grade::National));
        assert_eq!(parse_employment("兼职"), Some(Employment::PartTime));
        assert_eq!(parse_role("教练"), None);
    }

    #[test]
    fn a_column_is_named_in_english_or_in_chinese() {
        assert_eq!(column("id_number").map(|c| c.field), Some("id_number"));
        assert_eq!(column(" 身份证号码 ").map(|c| c.field), Some("id_number"));
        assert_eq!(column("专长").map(|c| c.field), Some("specialties"));
        assert_eq!(column("身份证"), None);
        assert_eq!(both_names("phone"), "phone (手机号码)");
        assert!(every_column().starts_with("name (姓名), gender (性别), "));
        for required in REQUIRED_COLUMNS.iter().chain(&DATE_COLUMNS) {
            assert!(header_of(required).is_some(), "{required}");
        }
    }

    #[test]
    fn a_day_is_written_with_dashes_slashes_or_chinese_units() {
        let day = NaiveDate::from_ymd_opt(2024, 3, 5);
        for written in [
            "2024-03-05",
            "2024-3-5",
            "2024/3/5",
            "2024/03/05",
            "2024年3月5日",
        ] {
            assert_eq!(parse_date(written), day, "{written}");
        }
        for wrong in [
            "2024-02-30",
            "5/3/2024",
            "2024年3月",
            "45356",
            "2024.3.5",
            "",
        ] {
            assert_eq!(parse_date(wrong), None, "{wrong}");
        }
    }

    #[test]
    fn specialties_split_on_either_separator() {
        assert_eq!(
            split_specialties("square_dance;taichi、 badminton"),
            ["square_dance", "taichi", "badminton"]
        );
        assert!(split_specialties(" ").is_empty());
    }
}
