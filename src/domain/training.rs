//! Training courses (培训班) and their results: the enums the registry stores, the course life
//! cycle, and credited hours (学时), counted like service hours in quarter hours.

use poem_openapi::Enum;
use sea_orm::{DeriveActiveEnum, EnumIter, sea_query::StringLen};
use serde::{Deserialize, Serialize};

/// The most hours one course may carry: a long residential class, not a career.
pub const MAX_COURSE_HOURS: f64 = 1000.0;
/// The most seats one course may offer.
pub const MAX_CAPACITY: i32 = 10_000;

/// What a course is for.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, EnumIter, DeriveActiveEnum, Enum, Serialize, Deserialize,
)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
#[oai(rename_all = "snake_case")]
#[serde(rename_all = "snake_case")]
pub enum CourseKind {
    /// The training class a grade requires (等级培训): passing it is a condition of the grade.
    #[sea_orm(string_value = "certification")]
    Certification,
    /// Continuing education (继续教育) for people who hold a qualification.
    #[sea_orm(string_value = "continuing")]
    Continuing,
    /// Training for a competition or showcase (赛事培训).
    #[sea_orm(string_value = "competition")]
    Competition,
}

/// Where a course is in its life: `planned` → `open` (enrolment) → `closed`; any but a cancelled
/// course may be cancelled, and a closed course may open again.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, EnumIter, DeriveActiveEnum, Enum, Serialize, Deserialize,
)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
#[oai(rename_all = "snake_case")]
#[serde(rename_all = "snake_case")]
pub enum CourseStatus {
    /// Announced; not yet taking enrolments.
    #[sea_orm(string_value = "planned")]
    Planned,
    /// Taking enrolments.
    #[sea_orm(string_value = "open")]
    Open,
    /// No more enrolments.
    #[sea_orm(string_value = "closed")]
    Closed,
    /// Called off; the enrolled people were told.
    #[sea_orm(string_value = "cancelled")]
    Cancelled,
}

impl CourseStatus {
    pub fn chinese(self) -> &'static str {
        match self {
            Self::Planned => "筹备中",
            Self::Open => "报名中",
            Self::Closed => "报名已截止",
            Self::Cancelled => "已取消",
        }
    }

    /// Whether a course in this status may move to `next`.
    pub fn may_become(self, next: CourseStatus) -> bool {
        use CourseStatus::*;
        match (self, next) {
            (a, b) if a == b => true,
            (Cancelled, _) => false,
            (_, Cancelled) => true,
            (Planned, Open) | (Open, Closed) | (Open, Planned) | (Closed, Open) => true,
            _ => false,
        }
    }
}

/// Whether a person holds a seat.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, EnumIter, DeriveActiveEnum, Enum, Serialize, Deserialize,
)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
#[oai(rename_all = "snake_case")]
#[serde(rename_all = "snake_case")]
pub enum EnrollmentStatus {
    /// Holds a seat.
    #[sea_orm(string_value = "enrolled")]
    Enrolled,
    /// Gave the seat back; kept for the record.
    #[sea_orm(string_value = "withdrawn")]
    Withdrawn,
}

/// How a person finished a course.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, EnumIter, DeriveActiveEnum, Enum, Serialize, Deserialize,
)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
#[oai(rename_all = "snake_case")]
#[serde(rename_all = "snake_case")]
pub enum TrainingResult {
    /// Passed (结业): the credited hours count toward a grade.
    #[sea_orm(string_value = "completed")]
    Completed,
    /// Attended but did not pass.
    #[sea_orm(string_value = "failed")]
    Failed,
    /// Did not attend: no hours.
    #[sea_orm(string_value = "absent")]
    Absent,
}

impl CourseKind {
    pub fn chinese(self) -> &'static str {
        match self {
            Self::Certification => "等级培训",
            Self::Continuing => "继续教育",
            Self::Competition => "赛事培训",
        }
    }
}

impl EnrollmentStatus {
    pub fn chinese(self) -> &'static str {
        match self {
            Self::Enrolled => "已报名",
            Self::Withdrawn => "已退出",
        }
    }
}

impl TrainingResult {
    pub fn chinese(self) -> &'static str {
        match self {
            Self::Completed => "结业",
            Self::Failed => "未通过",
            Self::Absent => "缺席",
        }
    }
}

/// Hours as whole quarter hours, when they are a non-negative multiple of 0.25.
pub fn quarters_of(hours: f64) -> Option<i32> {
    if !(0.0..=MAX_COURSE_HOURS).contains(&hours) {
        return None;
    }
    let quarters = hours * 4.0;
    (quarters.fract() == 0.0).then_some(quarters as i32)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hours_must_be_whole_quarters() {
        assert_eq!(quarters_of(29.75), Some(119));
        assert_eq!(quarters_of(30.0), Some(120));
        assert_eq!(quarters_of(0.0), Some(0));
        assert_eq!(quarters_of(1.1), None);
        assert_eq!(quarters_of(-0.25), None);
        assert_eq!(quarters_of(f64::NAN), None);
        assert_eq!(quarters_of(1000.25), None);
    }

    #[test]
    fn a_cancelled_course_stays_cancelled() {
        use CourseStatus::*;
        assert!(Planned.may_become(Open));
        assert!(Open.may_become(Closed));
        assert!(Closed.may_become(Open));
        assert!(Open.may_become(Cancelled));
        assert!(!Planned.may_become(Closed));
        assert!(!Cancelled.may_become(Open));
        assert!(!Closed.may_become(Planned));
    }
}
