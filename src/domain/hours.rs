//! Service hours: the time actually served, counted in hours rounded down to the quarter hour,
//! and the star levels cumulative hours earn.

use chrono::{DateTime, Utc};

/// Quarter hours served between two instants, rounded down (never negative).
pub fn quarter_hours(started_at: DateTime<Utc>, ended_at: DateTime<Utc>) -> i32 {
    let minutes = (ended_at - started_at).num_minutes().max(0);
    (minutes / 15) as i32
}

/// Quarter hours as hours, e.g. 7 -> 1.75.
pub fn hours(quarters: i64) -> f64 {
    quarters as f64 / 4.0
}

/// The star level (0-5) of `lifetime_hours` under ascending `thresholds`.
pub fn star_level(lifetime_hours: f64, thresholds: &[f64]) -> u8 {
    thresholds
        .iter()
        .take_while(|t| lifetime_hours >= **t)
        .count() as u8
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(time: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(time)
            .unwrap()
            .with_timezone(&Utc)
    }

    #[test]
    fn hours_round_down_to_the_quarter() {
        assert_eq!(
            quarter_hours(
                at("2026-11-01T08:00:00+08:00"),
                at("2026-11-01T09:44:59+08:00")
            ),
            6
        );
        assert_eq!(
            quarter_hours(
                at("2026-11-01T08:00:00+08:00"),
                at("2026-11-01T09:45:00+08:00")
            ),
            7
        );
        assert_eq!(hours(7), 1.75);
        assert_eq!(
            quarter_hours(at("2026-11-01T09:00:00Z"), at("2026-11-01T08:00:00Z")),
            0
        );
    }

    #[test]
    fn stars_start_at_each_threshold() {
        let ladder = [100.0, 300.0, 600.0, 1000.0, 1500.0];
        assert_eq!(star_level(99.75, &ladder), 0);
        assert_eq!(star_level(100.0, &ladder), 1);
        assert_eq!(star_level(1499.75, &ladder), 4);
        assert_eq!(star_level(1500.0, &ladder), 5);
        assert_eq!(star_level(99_999.0, &ladder), 5);
    }
}
