//! People and their qualifications: the enums the registry stores and the rules that need no I/O.

use chrono::{Datelike, NaiveDate};
use poem_openapi::Enum;
use sea_orm::{DeriveActiveEnum, EnumIter, sea_query::StringLen};
use serde::{Deserialize, Serialize};

#[derive(
    Debug, Clone, Copy, PartialEq, Eq, EnumIter, DeriveActiveEnum, Enum, Serialize, Deserialize,
)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(8))")]
#[oai(rename_all = "snake_case")]
#[serde(rename_all = "snake_case")]
pub enum Gender {
    #[sea_orm(string_value = "male")]
    Male,
    #[sea_orm(string_value = "female")]
    Female,
}

/// Whether a person is in service.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, EnumIter, DeriveActiveEnum, Enum, Serialize, Deserialize,
)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
#[oai(rename_all = "snake_case")]
#[serde(rename_all = "snake_case")]
pub enum PersonStatus {
    #[sea_orm(string_value = "active")]
    Active,
    #[sea_orm(string_value = "suspended")]
    Suspended,
    #[sea_orm(string_value = "retired")]
    Retired,
}

/// The four teams of the district plan; also the role of an assignment.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    EnumIter,
    DeriveActiveEnum,
    Enum,
    Serialize,
    Deserialize,
)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(48))")]
#[oai(rename_all = "snake_case")]
#[serde(rename_all = "snake_case")]
pub enum QualificationKind {
    /// 社会体育指导员
    #[sea_orm(string_value = "social_sports_instructor")]
    SocialSportsInstructor,
    /// 全民健身志愿者
    #[sea_orm(string_value = "fitness_volunteer")]
    FitnessVolunteer,
    /// 科学健身指导员
    #[sea_orm(string_value = "scientific_fitness_instructor")]
    ScientificFitnessInstructor,
    /// 基层文体管理员
    #[sea_orm(string_value = "community_sports_administrator")]
    CommunitySportsAdministrator,
}

/// Technical grades of social sports instructors, low to high.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    EnumIter,
    DeriveActiveEnum,
    Enum,
    Serialize,
    Deserialize,
)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
#[oai(rename_all = "snake_case")]
#[serde(rename_all = "snake_case")]
pub enum Grade {
    /// 三级
    #[sea_orm(string_value = "third")]
    Third,
    /// 二级
    #[sea_orm(string_value = "second")]
    Second,
    /// 一级
    #[sea_orm(string_value = "first")]
    First,
    /// 国家级
    #[sea_orm(string_value = "national")]
    National,
}

/// Whether an administrator works full- or part-time (专职/兼职).
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, EnumIter, DeriveActiveEnum, Enum, Serialize, Deserialize,
)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
#[oai(rename_all = "snake_case")]
#[serde(rename_all = "snake_case")]
pub enum Employment {
    #[sea_orm(string_value = "full_time")]
    FullTime,
    #[sea_orm(string_value = "part_time")]
    PartTime,
}

#[derive(
    Debug, Clone, Copy, PartialEq, Eq, EnumIter, DeriveActiveEnum, Enum, Serialize, Deserialize,
)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
#[oai(rename_all = "snake_case")]
#[serde(rename_all = "snake_case")]
pub enum QualificationStatus {
    #[sea_orm(string_value = "active")]
    Active,
    #[sea_orm(string_value = "revoked")]
    Revoked,
}

impl Gender {
    pub fn chinese(self) -> &'static str {
        match self {
            Self::Male => "男",
            Self::Female => "女",
        }
    }
}

impl PersonStatus {
    pub fn chinese(self) -> &'static str {
        match self {
            Self::Active => "在册",
            Self::Suspended => "暂停",
            Self::Retired => "退出",
        }
    }
}

impl Grade {
    pub fn chinese(self) -> &'static str {
        match self {
            Self::Third => "三级",
            Self::Second => "二级",
            Self::First => "一级",
            Self::National => "国家级",
        }
    }
}

impl Employment {
    pub fn chinese(self) -> &'static str {
        match self {
            Self::FullTime => "专职",
            Self::PartTime => "兼职",
        }
    }
}

impl QualificationKind {
    pub const ALL: [Self; 4] = [
        Self::SocialSportsInstructor,
        Self::FitnessVolunteer,
        Self::ScientificFitnessInstructor,
        Self::CommunitySportsAdministrator,
    ];

    /// The name the district uses (DOMAIN.md).
    pub fn chinese(self) -> &'static str {
        match self {
            Self::SocialSportsInstructor => "社会体育指导员",
            Self::FitnessVolunteer => "全民健身志愿者",
            Self::ScientificFitnessInstructor => "科学健身指导员",
            Self::CommunitySportsAdministrator => "文体管理员",
        }
    }

    /// Only social sports instructors hold a technical grade.
    pub fn has_grade(self) -> bool {
        self == Self::SocialSportsInstructor
    }

    /// Only administrators are full- or part-time.
    pub fn has_employment(self) -> bool {
        self == Self::CommunitySportsAdministrator
    }
}

/// Full years of age on `day`.
pub fn age_on(birth_date: NaiveDate, day: NaiveDate) -> i32 {
    let mut age = day.year() - birth_date.year();
    if (day.month(), day.day()) < (birth_date.month(), birth_date.day()) {
        age -= 1;
    }
    age
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn age_counts_full_years() {
        let birth = NaiveDate::from_ymd_opt(2008, 3, 7).unwrap();
        assert_eq!(
            age_on(birth, NaiveDate::from_ymd_opt(2026, 3, 6).unwrap()),
            17
        );
        assert_eq!(
            age_on(birth, NaiveDate::from_ymd_opt(2026, 3, 7).unwrap()),
            18
        );
    }

    #[test]
    fn grades_are_ordered_low_to_high() {
        assert!(
            Grade::Third < Grade::Second
                && Grade::Second < Grade::First
                && Grade::First < Grade::National
        );
    }
}

/// Where a service session is in its review.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, EnumIter, DeriveActiveEnum, Enum, Serialize, Deserialize,
)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
#[oai(rename_all = "snake_case")]
#[serde(rename_all = "snake_case")]
pub enum SessionStatus {
    #[sea_orm(string_value = "pending")]
    Pending,
    #[sea_orm(string_value = "approved")]
    Approved,
    #[sea_orm(string_value = "rejected")]
    Rejected,
    #[sea_orm(string_value = "withdrawn")]
    Withdrawn,
    #[sea_orm(string_value = "revoked")]
    Revoked,
}

/// Who recorded a service session. Stored as its text (`self`, `staff`, `checkin`, `import`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum, Serialize, Deserialize)]
#[oai(rename_all = "snake_case")]
#[serde(rename_all = "snake_case")]
pub enum SessionSource {
    /// Logged by the person.
    #[oai(rename = "self")]
    #[serde(rename = "self")]
    OwnLog,
    /// Logged by an officer or the bureau.
    Staff,
    /// From check-in and check-out.
    Checkin,
    /// From a bulk import.
    Import,
}

impl SessionSource {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::OwnLog => "self",
            Self::Staff => "staff",
            Self::Checkin => "checkin",
            Self::Import => "import",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        [Self::OwnLog, Self::Staff, Self::Checkin, Self::Import]
            .into_iter()
            .find(|s| s.as_str() == text)
    }
}
