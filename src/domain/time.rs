//! The district's civil time (UTC+08:00): "today", days, years and months in reports are counted
//! there, while instants are stored in UTC.

use chrono::{DateTime, FixedOffset, NaiveDate, Utc};

/// UTC+08:00.
pub fn district_offset() -> FixedOffset {
    FixedOffset::east_opt(8 * 3600).expect("valid offset")
}

/// Today's date in the district.
pub fn today() -> NaiveDate {
    Utc::now().with_timezone(&district_offset()).date_naive()
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
    fn a_district_day_starts_at_16_00_utc_the_day_before() {
        let day = NaiveDate::from_ymd_opt(2026, 11, 29).unwrap();
        assert_eq!(start_of_day(day).to_rfc3339(), "2026-11-28T16:00:00+00:00");
    }
}
