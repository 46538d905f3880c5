//! The bureau's policy values (the numbers DOMAIN.md marks **policy**). Their defaults live in
//! `seeds/policy.toml`; nothing here hard-codes them, this module only says what is valid.

use poem_openapi::Object;
use serde::{Deserialize, Serialize};

use super::FieldViolation;

/// Every policy value the rules read, as one document.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Object)]
#[serde(deny_unknown_fields)]
pub struct Policy {
    /// Minimum age for an instructor grade (full civil capacity), in years.
    pub min_age: u32,
    /// Approved service hours an instructor needs in year Y-1 for the work registration of year Y.
    pub instructor_annual_hours: f64,
    /// Service hours a registered volunteer is expected to give each year.
    pub volunteer_annual_hours: f64,
    /// Minimum credited training hours (学时) per instructor grade.
    pub training_hours: TrainingHours,
    /// Cumulative approved hours for 1 to 5 stars, ascending.
    pub star_thresholds: Vec<f64>,
    /// Target density of social sports instructors per 1,000 residents.
    pub instructors_per_1000_target: f64,
}

/// Minimum credited training hours per instructor grade.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Object)]
#[serde(deny_unknown_fields)]
pub struct TrainingHours {
    /// 三级 (third grade).
    pub third: f64,
    /// 二级 (second grade).
    pub second: f64,
    /// 一级 (first grade).
    pub first: f64,
    /// 国家级 (national grade).
    pub national: f64,
}

/// Number of star levels in the ladder.
pub const STAR_LEVELS: usize = 5;

impl Policy {
    /// Checks every value, returning one violation per bad field.
    pub fn validate(&self) -> Result<(), Vec<FieldViolation>> {
        let mut errors = Vec::new();
        if !(1..=100).contains(&self.min_age) {
            errors.push(FieldViolation::new(
                "min_age",
                "number.out_of_range",
                "must be between 1 and 100",
            ));
        }
        let hours = [
            ("instructor_annual_hours", self.instructor_annual_hours),
            ("volunteer_annual_hours", self.volunteer_annual_hours),
            ("training_hours.third", self.training_hours.third),
            ("training_hours.second", self.training_hours.second),
            ("training_hours.first", self.training_hours.first),
            ("training_hours.national", self.training_hours.national),
        ];
        for (field, value) in hours {
            if !(value.is_finite() && (0.0..=10_000.0).contains(&value)) {
                errors.push(FieldViolation::new(
                    field,
                    "number.out_of_range",
                    "must be a number of hours between 0 and 10000",
                ));
            }
        }
        if !(self.instructors_per_1000_target.is_finite() && self.instructors_per_1000_target > 0.0)
        {
            errors.push(FieldViolation::new(
                "instructors_per_1000_target",
                "number.out_of_range",
                "must be a positive number",
            ));
        }
        let stars = &self.star_thresholds;
        if stars.len() != STAR_LEVELS {
            errors.push(FieldViolation::new(
                "star_thresholds",
                "policy.star_levels",
                format!(
                    "must list exactly {STAR_LEVELS} thresholds, got {}",
                    stars.len()
                ),
            ));
        } else if !stars.iter().all(|h| h.is_finite() && *h > 0.0)
            || !stars.windows(2).all(|w| w[0] < w[1])
        {
            errors.push(FieldViolation::new(
                "star_thresholds",
                "policy.star_order",
                "must be positive hours in strictly ascending order",
            ));
        }
        if errors.is_empty() {
            Ok(())
        } else {
            Err(errors)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Policy {
        Policy {
            min_age: 18,
            instructor_annual_hours: 20.0,
            volunteer_annual_hours: 20.0,
            training_hours: TrainingHours {
                third: 30.0,
                second: 40.0,
                first: 60.0,
                national: 80.0,
            },
            star_thresholds: vec![100.0, 300.0, 600.0, 1000.0, 1500.0],
            instructors_per_1000_target: 2.16,
        }
    }

    #[test]
    fn the_domain_defaults_are_valid() {
        assert_eq!(sample().validate(), Ok(()));
    }

    #[test]
    fn star_thresholds_must_ascend_and_number_five() {
        let mut p = sample();
        p.star_thresholds = vec![100.0, 300.0, 200.0, 1000.0, 1500.0];
        assert_eq!(p.validate().unwrap_err()[0].field, "star_thresholds");
        p.star_thresholds = vec![100.0, 300.0];
        assert_eq!(p.validate().unwrap_err()[0].field, "star_thresholds");
    }

    #[test]
    fn negative_hours_name_their_field() {
        let mut p = sample();
        p.training_hours.second = -1.0;
        p.min_age = 0;
        let fields: Vec<_> = p
            .validate()
            .unwrap_err()
            .into_iter()
            .map(|v| v.field)
            .collect();
        assert_eq!(fields, ["min_age", "training_hours.second"]);
    }
}
