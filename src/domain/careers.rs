//! Instructor careers under the national rule (国家体育总局令第16号): what each grade requires,
//! and the annual work registration (工作注册). Pure rules over facts the services gather.

use poem_openapi::Enum;
use sea_orm::{DeriveActiveEnum, EnumIter, sea_query::StringLen};
use serde::{Deserialize, Serialize};

use super::{person::Grade, policy::Policy};

/// Approved service sessions in the 12 months before a `third` grade is granted.
pub const THIRD_GRADE_SESSIONS: i64 = 30;

impl Grade {
    /// The grade above, if any.
    pub fn next(self) -> Option<Grade> {
        match self {
            Grade::Third => Some(Grade::Second),
            Grade::Second => Some(Grade::First),
            Grade::First => Some(Grade::National),
            Grade::National => None,
        }
    }

    /// The grade below, whose registered years a promotion to this grade counts.
    pub fn previous(self) -> Option<Grade> {
        match self {
            Grade::Third => None,
            Grade::Second => Some(Grade::Third),
            Grade::First => Some(Grade::Second),
            Grade::National => Some(Grade::First),
        }
    }

    /// Registered years at the grade below that this grade requires.
    pub fn registered_years_required(self) -> i64 {
        match self {
            Grade::Third => 0,
            Grade::Second => 2,
            Grade::First => 3,
            Grade::National => 5,
        }
    }

    /// The district grants `third` itself; higher grades come from the city, province or state.
    pub fn granted_by_district(self) -> bool {
        self == Grade::Third
    }

    pub fn training_hours(self, policy: &Policy) -> f64 {
        let hours = &policy.training_hours;
        match self {
            Grade::Third => hours.third,
            Grade::Second => hours.second,
            Grade::First => hours.first,
            Grade::National => hours.national,
        }
    }
}

/// What the registry knows about a person on the day eligibility is judged.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Facts {
    pub age: i32,
    /// Completed certification courses for the grade.
    pub certifications_completed: i64,
    /// Hours credited by completed courses targeted at the grade, in quarter hours.
    pub credited_quarters: i64,
    /// Approved service sessions in the 12 months before the day.
    pub approved_sessions: i64,
    /// Calendar years with an approved registration at the grade below since it was granted.
    pub registered_years: i64,
}

/// One condition of a grade: what it asks, what the person has, whether that is enough.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Requirement {
    /// `age`, `certification_course`, `training_hours`, `service_sessions` or
    /// `registered_years`.
    pub name: String,
    pub required: f64,
    pub actual: f64,
    pub met: bool,
    /// The rule in words.
    pub description: String,
}

impl Requirement {
    fn at_least(name: &str, required: f64, actual: f64, description: String) -> Self {
        Self {
            name: name.to_owned(),
            required,
            actual,
            met: actual >= required,
            description,
        }
    }
}

/// Every condition of `grade`, judged on `facts`.
pub fn requirements(grade: Grade, facts: &Facts, policy: &Policy) -> Vec<Requirement> {
    let label = grade_label(grade);
    let mut list = vec![
        Requirement::at_least(
            "age",
            f64::from(policy.min_age),
            f64::from(facts.age),
            format!("at least {} years old (policy min_age)", policy.min_age),
        ),
        Requirement::at_least(
            "certification_course",
            1.0,
            facts.certifications_completed as f64,
            format!("completed a certification course for the {label} grade"),
        ),
        Requirement::at_least(
            "training_hours",
            grade.training_hours(policy),
            facts.credited_quarters as f64 / 4.0,
            format!(
                "credited training hours from completed courses for the {label} grade \
                 (policy training_hours.{label})"
            ),
        ),
    ];
    match grade.previous() {
        None => list.push(Requirement::at_least(
            "service_sessions",
            THIRD_GRADE_SESSIONS as f64,
            facts.approved_sessions as f64,
            "approved service sessions in the 12 months before".to_owned(),
        )),
        Some(below) => list.push(Requirement::at_least(
            "registered_years",
            grade.registered_years_required() as f64,
            facts.registered_years as f64,
            format!(
                "years with an approved work registration as {} since that grade was granted",
                grade_label(below)
            ),
        )),
    }
    list
}

/// The grade's name as the API spells it.
pub fn grade_label(grade: Grade) -> &'static str {
    match grade {
        Grade::Third => "third",
        Grade::Second => "second",
        Grade::First => "first",
        Grade::National => "national",
    }
}

/// The outcome of an annual work registration.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, EnumIter, DeriveActiveEnum, Enum, Serialize, Deserialize,
)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
#[oai(rename_all = "snake_case")]
#[serde(rename_all = "snake_case")]
pub enum RegistrationStatus {
    /// The year counts as a registered year.
    #[sea_orm(string_value = "approved")]
    Approved,
    /// The rule was not met; the year does not count.
    #[sea_orm(string_value = "rejected")]
    Rejected,
}

/// Where instructors stand with this year's registration, for the people list.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum, Serialize, Deserialize)]
#[oai(rename_all = "snake_case")]
#[serde(rename_all = "snake_case")]
pub enum RegistrationStanding {
    /// An approved registration for the current year.
    Current,
    /// An active instructor without an approved registration for the current year, once the
    /// registration period has closed (after 31 March).
    Lapsed,
}

/// Why a registration for `year` is decided as it is: an empty list means the rule is met.
pub fn registration_shortfalls(
    year: i32,
    qualified: bool,
    served_quarters: i64,
    policy: &Policy,
) -> Vec<String> {
    let mut reasons = Vec::new();
    if !qualified {
        reasons.push(format!(
            "held no active social sports instructor qualification in {year}"
        ));
    }
    let served = served_quarters as f64 / 4.0;
    if served < policy.instructor_annual_hours {
        reasons.push(format!(
            "served {served} approved hours in {}; the policy asks for {} (instructor_annual_hours)",
            year - 1,
            policy.instructor_annual_hours
        ));
    }
    reasons
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy() -> Policy {
        let table: toml::Table = toml::from_str(include_str!("../../seeds/policy.toml")).unwrap();
        serde_json::from_value(serde_json::to_value(table).unwrap()).unwrap()
    }

    fn unmet(grade: Grade, facts: &Facts) -> Vec<String> {
        requirements(grade, facts, &policy())
            .into_iter()
            .filter(|r| !r.met)
            .map(|r| r.name)
            .collect()
    }

    #[test]
    fn third_grade_asks_age_course_hours_and_thirty_sessions() {
        let enough = Facts {
            age: 18,
            certifications_completed: 1,
            credited_quarters: 120,
            approved_sessions: 30,
            registered_years: 0,
        };
        assert!(unmet(Grade::Third, &enough).is_empty());
        let short = Facts {
            age: 17,
            credited_quarters: 119,
            approved_sessions: 29,
            ..enough
        };
        assert_eq!(
            unmet(Grade::Third, &short),
            ["age", "training_hours", "service_sessions"]
        );
    }

    #[test]
    fn higher_grades_count_registered_years_at_the_grade_below() {
        let facts = Facts {
            age: 40,
            certifications_completed: 1,
            credited_quarters: 400,
            approved_sessions: 0,
            registered_years: 2,
        };
        assert!(unmet(Grade::Second, &facts).is_empty());
        assert_eq!(unmet(Grade::First, &facts), ["registered_years"]);
        assert_eq!(
            unmet(
                Grade::National,
                &Facts {
                    registered_years: 4,
                    ..facts
                }
            ),
            ["registered_years"]
        );
        assert_eq!(Grade::Third.next(), Some(Grade::Second));
        assert_eq!(Grade::National.next(), None);
    }

    #[test]
    fn a_registration_needs_a_qualification_and_last_years_hours() {
        let policy = policy();
        assert!(registration_shortfalls(2026, true, 80, &policy).is_empty());
        let reasons = registration_shortfalls(2026, false, 79, &policy);
        assert_eq!(reasons.len(), 2);
        assert!(reasons[1].contains("19.75") && reasons[1].contains("2025"));
    }
}
