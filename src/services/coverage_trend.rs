//! The coverage at the end of each month, for the district and each street: the same rule as
//! the audit of that day (an administrator assignment in force; a community counted while active
//! or not yet deactivated), computed from the assignments' own dates, so the trend is true
//! history and not a series of snapshots. Three queries whatever the number of months; the
//! dashboard reads the administrator terms once for the trend and the at-risk list.

use std::collections::HashMap;

use chrono::{Datelike, NaiveDate};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, Value};

use super::coverage::{Term, Totals, administrator_terms, audited_street, statement};
use crate::{auth::Caller, entities::street, error::AppError};

/// The most months a trend goes back.
pub const MAX_MONTHS: u32 = 120;

/// One month's end.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct TrendPoint {
    pub day: NaiveDate,
    pub district: Totals,
    /// In the order of [`Trend::streets`].
    pub streets: Vec<Totals>,
}

#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct TrendStreet {
    pub id: i32,
    pub code: String,
    pub name: String,
}

#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Trend {
    pub streets: Vec<TrendStreet>,
    /// Oldest first.
    pub points: Vec<TrendPoint>,
}

/// The last days of the `months` months whose end is on or before `day`, oldest first.
pub fn month_ends(day: NaiveDate, months: u32) -> Vec<NaiveDate> {
    let mut out = Vec::with_capacity(months as usize);
    let first_of_month = day.with_day(1).unwrap_or(day);
    // The end of `day`'s own month counts only when `day` is that end.
    let mut end = match first_of_month.checked_add_months(chrono::Months::new(1)) {
        Some(next) if next.pred_opt() == Some(day) => day,
        _ => first_of_month.pred_opt().unwrap_or(first_of_month),
    };
    for _ in 0..months {
        out.push(end);
        match end.with_day(1).and_then(|first| first.pred_opt()) {
            Some(previous) => end = previous,
            None => break,
        }
    }
    out.reverse();
    out
}

/// The coverage at each of the last `months` month ends on or before `day`, for the caller's
/// scope (an officer's street; the district or one street for the bureau and auditors).
pub async fn trend(
    db: &impl ConnectionTrait,
    caller: &Caller,
    day: NaiveDate,
    months: u32,
    street_id: Option<i32>,
) -> Result<Trend, AppError> {
    let scope = audited_street(caller, street_id)?;
    let days = month_ends(day, months.clamp(1, MAX_MONTHS));
    let terms = match (days.first(), days.last()) {
        (Some(&first), Some(&last)) => administrator_terms(db, first, last, scope).await?,
        _ => Vec::new(),
    };
    trend_among(db, caller, day, months, street_id, &terms).await
}

/// The trend from administrator terms read already ([`administrator_terms`]); they must hold
/// every term in force on one of the month ends, and more are harmless.
pub async fn trend_among(
    db: &impl ConnectionTrait,
    caller: &Caller,
    day: NaiveDate,
    months: u32,
    street_id: Option<i32>,
    all_terms: &[Term],
) -> Result<Trend, AppError> {
    let street_id = audited_street(caller, street_id)?;
    let days = month_ends(day, months.clamp(1, MAX_MONTHS));
    let mut streets_query = street::Entity::find().order_by_asc(street::Column::Code);
    if let Some(id) = street_id {
        streets_query = streets_query.filter(street::Column::Id.eq(id));
    }
    let streets: Vec<TrendStreet> = streets_query
        .all(db)
        .await?
        .into_iter()
        .map(|s| TrendStreet {
            id: s.id,
            code: s.code,
            name: s.name,
        })
        .collect();
    if let Some(id) = street_id
        && streets.is_empty()
    {
        return Err(AppError::not_found("street", id));
    }
    let (Some(&first), Some(&last)) = (days.first(), days.last()) else {
        return Ok(Trend {
            streets,
            points: Vec::new(),
        });
    };
    let street_index: HashMap<i32, usize> =
        streets.iter().enumerate().map(|(i, s)| (s.id, i)).collect();

    let backend = db.get_database_backend();
    let mut sql = String::from("SELECT id, street_id, active, deactivated_on FROM community");
    let mut values: Vec<Value> = Vec::new();
    if let Some(id) = street_id {
        sql.push_str(" WHERE street_id = ?");
        values.push(id.into());
    }
    struct Place {
        street: usize,
        active: bool,
        deactivated_on: Option<NaiveDate>,
    }
    let mut places: Vec<Place> = Vec::new();
    let mut index: HashMap<i32, usize> = HashMap::new();
    for row in db.query_all_raw(statement(backend, &sql, values)).await? {
        let id: i32 = row.try_get_by_index(0)?;
        let street: i32 = row.try_get_by_index(1)?;
        let Some(&street) = street_index.get(&street) else {
            continue;
        };
        index.insert(id, places.len());
        places.push(Place {
            street,
            active: row.try_get_by_index(2)?,
            deactivated_on: row.try_get_by_index(3)?,
        });
    }

    let terms: Vec<(usize, NaiveDate, Option<NaiveDate>)> = all_terms
        .iter()
        .filter(|t| t.starts_on <= last && t.ends_on.is_none_or(|end| end > first))
        .filter_map(|t| {
            index
                .get(&t.community_id)
                .map(|&at| (at, t.starts_on, t.ends_on))
        })
        .collect();

    // A stamp per community: the number of the point it was last seen covered on.
    let mut covered_at = vec![usize::MAX; places.len()];
    let mut points = Vec::with_capacity(days.len());
    for (n, &day) in days.iter().enumerate() {
        for &(at, starts_on, ends_on) in &terms {
            if starts_on <= day && ends_on.is_none_or(|end| end > day) {
                covered_at[at] = n;
            }
        }
        let mut counts = vec![(0u64, 0u64); streets.len()];
        for (at, place) in places.iter().enumerate() {
            if place.active || place.deactivated_on.is_some_and(|d| d > day) {
                let count = &mut counts[place.street];
                count.0 += 1;
                count.1 += u64::from(covered_at[at] == n);
            }
        }
        let (all, covered) = counts
            .iter()
            .fold((0, 0), |(a, c), &(all, covered)| (a + all, c + covered));
        points.push(TrendPoint {
            day,
            district: Totals::counted(all, covered),
            streets: counts
                .into_iter()
                .map(|(all, covered)| Totals::counted(all, covered))
                .collect(),
        });
    }
    Ok(Trend { streets, points })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    #[test]
    fn month_ends_are_the_last_days_before_the_day() {
        assert_eq!(
            month_ends(d(2026, 3, 2), 3),
            vec![d(2025, 12, 31), d(2026, 1, 31), d(2026, 2, 28)]
        );
        assert_eq!(
            month_ends(d(2024, 2, 29), 2),
            vec![d(2024, 1, 31), d(2024, 2, 29)],
            "a day that ends its month is that month's end"
        );
        assert_eq!(month_ends(d(2026, 12, 1), 24).len(), 24);
        assert_eq!(month_ends(d(2026, 12, 1), 24)[0], d(2024, 12, 31));
    }
}
