//! The people CSV (DOMAIN.md section 8): its columns and the Chinese or English values they
//! take. Parsing here is pure; the import service checks rows against the database.

use super::person::{Employment, Gender, Grade, QualificationKind};

/// Every column, in the documented order.
pub const COLUMNS: [&str; 14] = [
    "name",
    "gender",
    "birth_date",
    "id_number",
    "phone",
    "email",
    "street_code",
    "community_code",
    "role",
    "grade",
    "employment",
    "certificate_no",
    "certified_on",
    "specialties",
];

/// Columns a file must have.
pub const REQUIRED_COLUMNS: [&str; 4] = ["name", "id_number", "phone", "street_code"];

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
    fn specialties_split_on_either_separator() {
        assert_eq!(
            split_specialties("square_dance;taichi、 badminton"),
            ["square_dance", "taichi", "badminton"]
        );
        assert!(split_specialties(" ").is_empty());
    }
}
