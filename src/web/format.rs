//! How pages write dates, times and hours: `2026年12月1日`, `08:30` in UTC+08:00, `2.5 小时`.

use chrono::{DateTime, Datelike, NaiveDate, Utc};

use crate::domain::time;

pub fn date(day: NaiveDate) -> String {
    format!("{}年{}月{}日", day.year(), day.month(), day.day())
}

/// A moment as the district's clocks read it, e.g. `2026年12月1日 08:30`.
pub fn date_time(at: DateTime<Utc>) -> String {
    let local = time::local(at);
    format!("{} {}", date(local.date_naive()), local.format("%H:%M"))
}

pub fn hours(value: f64) -> String {
    let text = format!("{value:.2}");
    let text = text.trim_end_matches('0').trim_end_matches('.');
    format!("{text} 小时")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_hours_and_query_values_read_as_people_expect() {
        let day = NaiveDate::from_ymd_opt(2026, 12, 1).unwrap();
        assert_eq!(date(day), "2026年12月1日");
        assert_eq!(hours(2.5), "2.5 小时");
        assert_eq!(hours(3.0), "3 小时");
    }
}
