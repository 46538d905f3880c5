//! Service sessions (DOMAIN.md section 3): instructors and volunteers log what they ran (`log`),
//! the street office or the bureau reviews it (`review`), sessions are withdrawn or revoked
//! (`lifecycle`), checked in and out (`check_in`), edited while pending (`edit`) and corrected
//! after approval (`corrections`), every change kept in their history (`history`); approved
//! hours add up (`query`). One set of rules (`rules`) holds for every way a session is written.

mod check_in;
mod corrections;
mod edit;
mod history;
mod lifecycle;
mod log;
mod query;
mod review;
pub mod rules;

use chrono::{DateTime, TimeDelta, Utc};

pub use check_in::{check_in, check_out, close_stale, open_check_in};
pub use corrections::{corrections_of, pending_corrections, request_correction, review_correction};
pub use edit::edit;
pub use history::history;
pub use lifecycle::{revoke, withdraw};
pub use log::create;
pub use query::{get, list, summary};
pub use review::{review, review_many};
pub use rules::{CLOCK_SKEW, MAX_DURATION, MEMBER_LOOKBACK};

use crate::{
    domain::person::{SessionSource, SessionStatus},
    entities::service_session,
};

/// How long an idempotency key is remembered.
pub const IDEMPOTENCY_TTL: TimeDelta = TimeDelta::hours(24);

#[derive(Debug, Clone)]
pub struct NewSession {
    /// A member may omit it: its own person.
    pub person_id: Option<i32>,
    pub community_id: i32,
    pub started_at: DateTime<Utc>,
    pub ended_at: DateTime<Utc>,
    pub activity: String,
    pub participants: i32,
    pub description: String,
}

#[derive(Debug, Clone, Default)]
pub struct SessionFilter {
    pub person_id: Option<i32>,
    pub community_id: Option<i32>,
    pub street_id: Option<i32>,
    pub status: Option<SessionStatus>,
    pub source: Option<SessionSource>,
    pub from: Option<DateTime<Utc>>,
    pub to: Option<DateTime<Utc>>,
    /// Only sessions flagged for a closer look (a check-in closed at its 12th hour).
    pub needs_attention: Option<bool>,
    /// Oldest first (the review queue) instead of newest first.
    pub oldest_first: bool,
}

/// An `Idempotency-Key` and the body it came with.
#[derive(Debug, Clone)]
pub struct Idempotency {
    pub key: String,
    pub body: Vec<u8>,
}

/// Whether a session was created now or found as the answer to an earlier request.
pub enum Created {
    New(service_session::Model),
    Replayed(service_session::Model),
}

/// A review decision.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    Approve,
    Reject,
}

/// A person's hours in a year (counted in UTC+08:00) and overall.
#[derive(Debug, Clone, PartialEq)]
pub struct Summary {
    pub year: i32,
    pub approved_quarters: i64,
    pub pending_quarters: i64,
    pub sessions: u64,
    pub lifetime_quarters: i64,
    /// 0-5, from the policy's star thresholds and the lifetime hours.
    pub star_level: u8,
    /// Approved hours still missing for the next star; `None` at the top star.
    pub hours_to_next_star: Option<f64>,
    /// The yearly hours the person's kind asks for (policy): the larger of the instructor and
    /// volunteer requirements the person's active qualifications call for; `None` for neither.
    pub annual_requirement_hours: Option<f64>,
}

impl Summary {
    pub fn meets_annual_requirement(&self) -> Option<bool> {
        self.annual_requirement_hours
            .map(|required| crate::domain::hours::hours(self.approved_quarters) >= required)
    }
}

/// The fields a correction may change.
#[derive(Debug, Clone, Default)]
pub struct Correction {
    pub started_at: Option<DateTime<Utc>>,
    pub ended_at: Option<DateTime<Utc>>,
    pub activity: Option<String>,
    pub participants: Option<i32>,
    pub description: Option<String>,
    pub reason: String,
}

/// Changes to a pending session; `None` leaves a field as it is.
#[derive(Debug, Clone, Default)]
pub struct Edit {
    pub community_id: Option<i32>,
    pub started_at: Option<DateTime<Utc>>,
    pub ended_at: Option<DateTime<Utc>>,
    pub activity: Option<String>,
    pub participants: Option<i32>,
    pub description: Option<String>,
    pub expected_version: Option<i64>,
}
