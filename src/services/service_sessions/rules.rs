//! The rules every service session keeps, however it is written: logged, edited while pending,
//! corrected after approval, opened by a check-in or closed by a check-out (SPEC §4, service
//! sessions). Each path builds the session as it would be after the change and calls
//! [`check`] (or, to keep the writer's work short, [`check_before_write`] on the read pool and
//! [`check_overlap`] in the write); no path codes a rule of its own.

use chrono::{DateTime, TimeDelta, Utc};
use sea_orm::{ColumnTrait, Condition, ConnectionTrait, EntityTrait, QueryFilter};

use crate::{
    domain::{
        FieldViolation,
        person::{QualificationStatus, SessionStatus},
        text,
        time::check_instant,
    },
    entities::{community, qualification, service_session, sport_item},
    error::AppError,
};

/// Longest session.
pub const MAX_DURATION: TimeDelta = TimeDelta::hours(12);
/// Clock skew allowed for an end in the future.
pub const CLOCK_SKEW: TimeDelta = TimeDelta::minutes(5);
/// How far back a member may log.
pub const MEMBER_LOOKBACK: TimeDelta = TimeDelta::days(30);
/// Most people served in one session.
pub const MAX_PARTICIPANTS: i32 = 100_000;
/// Longest description of a session.
pub const MAX_DESCRIPTION: usize = 2000;

/// A session as it would be after the change.
#[derive(Debug, Clone, Copy)]
pub struct Draft<'a> {
    pub person_id: i32,
    pub community_id: i32,
    pub started_at: DateTime<Utc>,
    /// `None` while a check-in is open.
    pub ended_at: Option<DateTime<Utc>>,
    pub activity: &'a str,
    pub participants: i32,
    pub description: &'a str,
}

/// Which way the session is written, and so which rules apply beyond the common ones.
#[derive(Debug, Clone, Copy, Default)]
pub struct Context {
    /// The session being changed: it does not overlap itself.
    pub session_id: Option<i32>,
    /// A member writes it: the 30-day look-back applies (not to corrections, which fix a
    /// record however old).
    pub member_lookback: bool,
    /// The session is placed in this community now (logged, checked in, or moved by an edit):
    /// the community must exist and be active. A correction keeps an old session's community
    /// even when that community has since been deactivated.
    pub places_community: bool,
}

/// Checks every rule: [`check_fields`], [`check_standing`], then [`check_overlap`]. Returns the
/// description as it is stored.
pub async fn check(
    txn: &impl ConnectionTrait,
    draft: &Draft<'_>,
    context: Context,
    now: DateTime<Utc>,
) -> Result<String, AppError> {
    let description = check_fields(txn, draft, context, now).await?;
    check_standing(txn, draft, context).await?;
    check_overlap(txn, draft, context).await?;
    Ok(description)
}

/// The rules that hold on any recent snapshot of the registry: [`check_fields`] and
/// [`check_standing`]. A write checks them on the read pool before it takes the writer, leaving
/// only [`check_overlap`], which depends on the writes just before it, to the write.
pub async fn check_before_write(
    db: &impl ConnectionTrait,
    draft: &Draft<'_>,
    context: Context,
    now: DateTime<Utc>,
) -> Result<String, AppError> {
    let description = check_fields(db, draft, context, now).await?;
    check_standing(db, draft, context).await?;
    Ok(description)
}

/// The rules on the session's own fields (times, counts, text, a known activity), all broken ones
/// at once (422). A check-out keeps only these: the rest held when the session was opened.
/// Returns the description as it is stored.
pub async fn check_fields(
    txn: &impl ConnectionTrait,
    draft: &Draft<'_>,
    context: Context,
    now: DateTime<Utc>,
) -> Result<String, AppError> {
    let mut violations = check_values(draft, context, now);
    let description = match text::text("description", draft.description, MAX_DESCRIPTION) {
        Ok(description) => description,
        Err(v) => {
            violations.push(v);
            String::new()
        }
    };
    if !activity_known(txn, draft.activity).await? {
        violations.push(FieldViolation::new(
            "activity",
            "sport_item.unknown",
            format!("unknown sport item {:?}", draft.activity),
        ));
    }
    if !violations.is_empty() {
        return Err(AppError::violations(violations));
    }
    Ok(description)
}

/// The community (when the session is placed there now) is known and active, and the person held
/// an active qualification on that day (422).
pub async fn check_standing(
    db: &impl ConnectionTrait,
    draft: &Draft<'_>,
    context: Context,
) -> Result<(), AppError> {
    if context.places_community {
        let community = community::Entity::find_by_id(draft.community_id)
            .one(db)
            .await?;
        match community {
            None => {
                return Err(AppError::invalid(
                    "community_id",
                    "community.unknown",
                    "no such community",
                ));
            }
            Some(c) if !c.active => {
                return Err(AppError::invalid(
                    "community_id",
                    "community.inactive",
                    "the community is inactive",
                ));
            }
            Some(_) => {}
        }
    }
    if !qualified_at(db, draft.person_id, draft.started_at).await? {
        return Err(AppError::invalid(
            "person_id",
            "session.not_qualified",
            "the person held no active qualification on that day",
        ));
    }
    Ok(())
}

/// The session does not overlap the person's other pending or approved sessions (409). Checked
/// inside the write, after the person is serialised.
pub async fn check_overlap(
    txn: &impl ConnectionTrait,
    draft: &Draft<'_>,
    context: Context,
) -> Result<(), AppError> {
    if let Some(other) = overlapping(
        txn,
        draft.person_id,
        draft.started_at,
        draft.ended_at,
        context.session_id,
    )
    .await?
    {
        return Err(AppError::conflict(
            "started_at",
            "session.overlap",
            format!("overlaps session {} of the same person", other.id),
        ));
    }
    Ok(())
}

/// The rules on the values alone: times, look-back and counts.
pub fn check_values(
    draft: &Draft<'_>,
    context: Context,
    now: DateTime<Utc>,
) -> Vec<FieldViolation> {
    let mut violations = Vec::new();
    if let Err(v) = check_instant("started_at", draft.started_at) {
        violations.push(v);
    }
    match draft.ended_at {
        Some(end) if end <= draft.started_at => violations.push(FieldViolation::new(
            "ended_at",
            "session.end_before_start",
            "must be after started_at",
        )),
        Some(end) if end - draft.started_at > MAX_DURATION => violations.push(FieldViolation::new(
            "ended_at",
            "session.too_long",
            "a session lasts at most 12 hours",
        )),
        _ => {}
    }
    let latest = now + CLOCK_SKEW;
    match draft.ended_at {
        Some(end) if end > latest => violations.push(FieldViolation::new(
            "ended_at",
            "session.in_future",
            "must not be in the future",
        )),
        None if draft.started_at > latest => violations.push(FieldViolation::new(
            "started_at",
            "session.in_future",
            "must not be in the future",
        )),
        _ => {}
    }
    if context.member_lookback && draft.started_at < now - MEMBER_LOOKBACK {
        violations.push(FieldViolation::new(
            "started_at",
            "session.too_far_back",
            "members may log sessions of the last 30 days only",
        ));
    }
    if !(0..=MAX_PARTICIPANTS).contains(&draft.participants) {
        violations.push(FieldViolation::new(
            "participants",
            "number.out_of_range",
            format!("must be between 0 and {MAX_PARTICIPANTS}"),
        ));
    }
    violations
}

async fn activity_known(txn: &impl ConnectionTrait, code: &str) -> Result<bool, AppError> {
    Ok(sport_item::Entity::find()
        .filter(sport_item::Column::Code.eq(code))
        .one(txn)
        .await?
        .is_some())
}

/// A stored session as a draft of the rules.
pub fn draft_of(session: &service_session::Model) -> Draft<'_> {
    Draft {
        person_id: session.person_id,
        community_id: session.community_id,
        started_at: session.started_at,
        ended_at: session.ended_at,
        activity: &session.activity,
        participants: session.participants,
        description: &session.description,
    }
}

/// Another pending or approved session of the person that overlaps `[start, end)` (an open end
/// reaches forever), except `except`.
pub async fn overlapping(
    txn: &impl ConnectionTrait,
    person_id: i32,
    start: DateTime<Utc>,
    end: Option<DateTime<Utc>>,
    except: Option<i32>,
) -> Result<Option<service_session::Model>, AppError> {
    let mut select = service_session::Entity::find()
        .filter(service_session::Column::PersonId.eq(person_id))
        .filter(
            service_session::Column::Status
                .is_in([SessionStatus::Pending, SessionStatus::Approved]),
        )
        .filter(
            Condition::any()
                .add(service_session::Column::EndedAt.is_null())
                .add(service_session::Column::EndedAt.gt(start)),
        );
    if let Some(end) = end {
        select = select.filter(service_session::Column::StartedAt.lt(end));
    }
    if let Some(id) = except {
        select = select.filter(service_session::Column::Id.ne(id));
    }
    Ok(select.one(txn).await?)
}

/// Whether the person held a qualification on the district day of `at`: certified by then and not
/// revoked before.
pub async fn qualified_at(
    txn: &impl ConnectionTrait,
    person_id: i32,
    at: DateTime<Utc>,
) -> Result<bool, AppError> {
    let day = crate::domain::time::day_of(at);
    let held = qualification::Entity::find()
        .filter(qualification::Column::PersonId.eq(person_id))
        .filter(qualification::Column::CertifiedOn.lte(day))
        .filter(
            Condition::any()
                .add(qualification::Column::Status.eq(QualificationStatus::Active))
                .add(qualification::Column::RevokedAt.gt(at)),
        )
        .one(txn)
        .await?;
    Ok(held.is_some())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn draft(
        start: DateTime<Utc>,
        end: Option<DateTime<Utc>>,
        participants: i32,
    ) -> Draft<'static> {
        Draft {
            person_id: 1,
            community_id: 1,
            started_at: start,
            ended_at: end,
            activity: "taichi",
            participants,
            description: "",
        }
    }

    fn codes(violations: &[FieldViolation]) -> Vec<&str> {
        violations.iter().map(|v| v.code).collect()
    }

    #[test]
    fn twelve_hours_exactly_is_allowed_and_a_minute_more_is_not() {
        let now = Utc::now();
        let start = now - TimeDelta::hours(13);
        let ctx = Context::default();
        assert!(check_values(&draft(start, Some(start + MAX_DURATION), 0), ctx, now).is_empty());
        let over = start + MAX_DURATION + TimeDelta::minutes(1);
        assert_eq!(
            codes(&check_values(&draft(start, Some(over), 0), ctx, now)),
            ["session.too_long"]
        );
    }

    #[test]
    fn members_reach_back_thirty_days_exactly() {
        let now = Utc::now();
        let ctx = Context {
            member_lookback: true,
            ..Context::default()
        };
        let edge = now - MEMBER_LOOKBACK;
        let end = |s| Some(s + TimeDelta::hours(1));
        assert!(check_values(&draft(edge, end(edge), 0), ctx, now).is_empty());
        let beyond = edge - TimeDelta::minutes(1);
        assert_eq!(
            codes(&check_values(&draft(beyond, end(beyond), 0), ctx, now)),
            ["session.too_far_back"]
        );
        let no_lookback = Context::default();
        assert!(check_values(&draft(beyond, end(beyond), 0), no_lookback, now).is_empty());
    }

    #[test]
    fn every_value_rule_has_its_code() {
        let now = Utc::now();
        let ctx = Context::default();
        let start = now - TimeDelta::hours(2);
        assert_eq!(
            codes(&check_values(&draft(start, Some(start), 0), ctx, now)),
            ["session.end_before_start"]
        );
        assert_eq!(
            codes(&check_values(
                &draft(start, Some(now + TimeDelta::minutes(6)), 0),
                ctx,
                now
            )),
            ["session.in_future"]
        );
        assert!(
            check_values(
                &draft(start, Some(now + TimeDelta::minutes(5)), 0),
                ctx,
                now
            )
            .is_empty()
        );
        assert_eq!(
            codes(&check_values(&draft(start, Some(now), -1), ctx, now)),
            ["number.out_of_range"]
        );
        assert_eq!(
            codes(&check_values(
                &draft(now + TimeDelta::hours(1), None, 0),
                ctx,
                now
            )),
            ["session.in_future"]
        );
    }
}
