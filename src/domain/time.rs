//! The district's civil time (UTC+08:00): "today", days, years and months in reports are counted
//! there, while instants are stored in UTC.

use chrono::{DateTime, Datelike, FixedOffset, NaiveDate, NaiveTime, Utc};

use super::FieldViolation;

/// The earliest day a record of the registry (a course, a grant, an assignment, a report's
/// "as of") may name.
pub const EARLIEST_DATE: NaiveDate = NaiveDate::from_ymd_opt(1900, 1, 1).unwrap();
/// The latest day a record may name: plans reach years ahead, never centuries.
pub const LATEST_DATE: NaiveDate = NaiveDate::from_ymd_opt(2099, 12, 31).unwrap();
/// The earliest birth date accepted: GB 11643's own test vector is of 1880, and nobody alive was
/// born before it.
pub const EARLIEST_BIRTH: NaiveDate = NaiveDate::from_ymd_opt(1880, 1, 1).unwrap();

/// Refuses a date outside [`EARLIEST_DATE`]..=[`LATEST_DATE`] (`0000-01-01`, `9999-12-31`).
pub fn check_date(field: &str, date: NaiveDate) -> Result<NaiveDate, FieldViolation> {
    if (EARLIEST_DATE..=LATEST_DATE).contains(&date) {
        Ok(date)
    } else {
        Err(FieldViolation::new(
            field,
            "date.out_of_range",
            format!("must lie between {EARLIEST_DATE} and {LATEST_DATE}"),
        ))
    }
}

/// Refuses an instant whose district day is outside the plausible range.
pub fn check_instant(field: &str, at: DateTime<Utc>) -> Result<DateTime<Utc>, FieldViolation> {
    check_date(field, day_of(at)).map(|_| at)
}

/// Refuses a year outside the plausible range.
pub fn check_year(field: &str, year: i32) -> Result<i32, FieldViolation> {
    if (EARLIEST_DATE.year()..=LATEST_DATE.year()).contains(&year) {
        Ok(year)
    } else {
        Err(FieldViolation::new(
            field,
            "year.out_of_range",
            format!(
                "must lie between {} and {}",
                EARLIEST_DATE.year(),
                LATEST_DATE.year()
            ),
        ))
    }
}

/// An instant as the district's clocks read it.
pub fn local(at: DateTime<Utc>) -> DateTime<FixedOffset> {
    at.with_timezone(&district_offset())
}

/// The district day an instant falls on.
pub fn day_of(at: DateTime<Utc>) -> NaiveDate {
    local(at).date_naive()
}

/// The current year in the district.
pub fn current_year() -> i32 {
    today().year()
}

/// The first and last day of a year, when the year is representable.
pub fn year_days(year: i32) -> Option<(NaiveDate, NaiveDate)> {
    Some((
        NaiveDate::from_ymd_opt(year, 1, 1)?,
        NaiveDate::from_ymd_opt(year, 12, 31)?,
    ))
}

/// The instants from the start of the district day `from` to the end of the day `to`
/// (inclusive days, exclusive end instant).
pub fn days_span(from: NaiveDate, to: NaiveDate) -> (DateTime<Utc>, DateTime<Utc>) {
    let end = to
        .succ_opt()
        .map(start_of_day)
        .unwrap_or(DateTime::<Utc>::MAX_UTC);
    (start_of_day(from), end)
}

/// The first instant of a district year and of the next one.
pub fn year_bounds(year: i32) -> (DateTime<Utc>, DateTime<Utc>) {
    let first = |y: i32| {
        NaiveDate::from_ymd_opt(y, 1, 1)
            .map(start_of_day)
            .unwrap_or(DateTime::<Utc>::MAX_UTC)
    };
    (first(year), first(year.saturating_add(1)))
}

/// UTC+08:00.
pub fn district_offset() -> FixedOffset {
    FixedOffset::east_opt(8 * 3600).expect("valid offset")
}

/// Today's date in the district.
pub fn today() -> NaiveDate {
    day_of(Utc::now())
}

/// The instant of a district wall-clock reading: `date` at `time`, UTC+08:00.
pub fn instant_at(date: NaiveDate, time: NaiveTime) -> DateTime<Utc> {
    date.and_time(time)
        .and_local_timezone(district_offset())
        .single()
        .map(|t| t.with_timezone(&Utc))
        .unwrap_or(DateTime::<Utc>::MIN_UTC)
}

/// The instant a district day begins.
pub fn start_of_day(date: NaiveDate) -> DateTime<Utc> {
    date.and_hms_opt(0, 0, 0)
        .and_then(|t| t.and_local_timezone(district_offset()).single())
        .map(|t| t.with_timezone(&Utc))
        .unwrap_or(DateTime::<Utc>::MIN_UTC)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_outside_the_plausible_range_are_refused() {
        let day = |y, m, d| NaiveDate::from_ymd_opt(y, m, d).unwrap();
        assert!(check_date("d", day(1900, 1, 1)).is_ok());
        assert!(check_date("d", day(2099, 12, 31)).is_ok());
        assert_eq!(
            check_date("d", day(1899, 12, 31)).unwrap_err().code,
            "date.out_of_range"
        );
        assert!(check_date("d", day(9999, 12, 31)).is_err());
        assert!(check_date("d", day(0, 1, 1)).is_err());
        assert!(check_year("year", 2100).is_err() && check_year("year", 2026).is_ok());
    }

    #[test]
    fn a_district_year_starts_at_16_00_utc_on_31_december() {
        let (from, to) = year_bounds(2026);
        assert_eq!(from.to_rfc3339(), "2025-12-31T16:00:00+00:00");
        assert_eq!(to.to_rfc3339(), "2026-12-31T16:00:00+00:00");
    }

    #[test]
    fn an_instant_falls_on_its_district_day() {
        let late: DateTime<Utc> = "2026-12-31T16:30:00Z".parse().unwrap();
        assert_eq!(day_of(late), NaiveDate::from_ymd_opt(2027, 1, 1).unwrap());
        let (from, to) = days_span(
            NaiveDate::from_ymd_opt(2026, 1, 1).unwrap(),
            NaiveDate::from_ymd_opt(2026, 1, 1).unwrap(),
        );
        assert_eq!((to - from).num_hours(), 24);
        assert_eq!(
            year_days(2026).unwrap().1,
            NaiveDate::from_ymd_opt(2026, 12, 31).unwrap()
        );
    }

    #[test]
    fn a_district_day_starts_at_16_00_utc_the_day_before() {
        let day = NaiveDate::from_ymd_opt(2026, 11, 29).unwrap();
        assert_eq!(start_of_day(day).to_rfc3339(), "2026-11-28T16:00:00+00:00");
    }
}
