//! The coverage audit (DOMAIN.md section 4): on a given day, which active communities have an
//! administrator assignment in force. One grouped query answers every community; streets and
//! the district are summed from them, so every level agrees. A past day is answered from the
//! assignments' own dates and the day a community was deactivated, not from today's state.

use std::collections::HashMap;

use chrono::{NaiveDate, TimeDelta};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DbBackend, EntityTrait, QueryFilter, Statement, Value,
};

use super::policy;
use crate::{
    auth::{Caller, Target},
    domain::{account::Role, time::today},
    entities::street,
    error::AppError,
};

pub(crate) const ADMINISTRATOR: &str = "community_sports_administrator";

/// One community on the audited day.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct CommunityCoverage {
    pub id: i32,
    pub code: String,
    pub name: String,
    pub street_id: i32,
    pub population: Option<i32>,
    pub administrators_full_time: i64,
    pub administrators_part_time: i64,
    pub instructors: i64,
    pub volunteers: i64,
    pub scientific_instructors: i64,
    pub covered: bool,
    /// Social sports instructors per 1,000 residents, where the population is known.
    pub instructors_per_1000: Option<f64>,
}

/// A street's or the district's totals.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Totals {
    pub communities: u64,
    pub covered: u64,
    /// `covered / communities`; 1 when there is no community to cover.
    pub ratio: f64,
}

impl Totals {
    pub(crate) fn of<'a>(communities: impl Iterator<Item = &'a CommunityCoverage>) -> Self {
        let (mut all, mut covered) = (0u64, 0u64);
        for c in communities {
            all += 1;
            covered += u64::from(c.covered);
        }
        Self::counted(all, covered)
    }

    /// The totals of `covered` communities out of `all`.
    pub(crate) fn counted(all: u64, covered: u64) -> Self {
        Self {
            communities: all,
            covered,
            ratio: if all == 0 {
                1.0
            } else {
                covered as f64 / all as f64
            },
        }
    }
}

#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct StreetCoverage {
    pub id: i32,
    pub code: String,
    pub name: String,
    pub totals: Totals,
}

#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Coverage {
    pub as_of: NaiveDate,
    pub district: Totals,
    pub streets: Vec<StreetCoverage>,
    pub communities: Vec<CommunityCoverage>,
    pub instructors_per_1000_target: f64,
}

/// The street the caller may audit: officers their own, the bureau and auditors any or all.
pub(crate) fn audited_street(
    caller: &Caller,
    street_id: Option<i32>,
) -> Result<Option<i32>, AppError> {
    match caller.role {
        Role::BureauAdmin | Role::Auditor => Ok(street_id),
        Role::StreetOfficer => match street_id {
            Some(id) if !caller.can_read(Target::Street(id)) => {
                Err(AppError::not_found("street", id))
            }
            _ => Ok(caller.street_id),
        },
        Role::Member => Err(AppError::Forbidden(
            "your role may not read the coverage audit".into(),
        )),
    }
}

/// Rewrites `?` placeholders for PostgreSQL (`$1`, `$2` ...).
pub fn statement(backend: DbBackend, sql: &str, values: Vec<Value>) -> Statement {
    let sql = match backend {
        DbBackend::Postgres => {
            let mut out = String::with_capacity(sql.len() + 8);
            let mut n = 0;
            for ch in sql.chars() {
                if ch == '?' {
                    n += 1;
                    out.push_str(&format!("${n}"));
                } else {
                    out.push(ch);
                }
            }
            out
        }
        _ => sql.to_owned(),
    };
    Statement::from_sql_and_values(backend, sql, values)
}

/// [`audited_street`], and a street that exists.
async fn checked_street(
    db: &impl ConnectionTrait,
    caller: &Caller,
    street_id: Option<i32>,
) -> Result<Option<i32>, AppError> {
    let street_id = audited_street(caller, street_id)?;
    if let Some(id) = street_id
        && street::Entity::find_by_id(id).one(db).await?.is_none()
    {
        return Err(AppError::not_found("street", id));
    }
    Ok(street_id)
}

/// The audit on `as_of`, for one street or the caller's whole scope.
pub async fn audit(
    db: &impl ConnectionTrait,
    caller: &Caller,
    as_of: NaiveDate,
    street_id: Option<i32>,
) -> Result<Coverage, AppError> {
    let street_id = checked_street(db, caller, street_id).await?;
    let mut streets_query = street::Entity::find();
    if let Some(id) = street_id {
        streets_query = streets_query.filter(street::Column::Id.eq(id));
    }
    let communities = communities_on(db, as_of, street_id).await?;
    let mut by_street: HashMap<i32, Vec<&CommunityCoverage>> = HashMap::new();
    for c in &communities {
        by_street.entry(c.street_id).or_default().push(c);
    }
    let mut streets: Vec<StreetCoverage> = streets_query
        .all(db)
        .await?
        .into_iter()
        .map(|s| StreetCoverage {
            totals: Totals::of(
                by_street
                    .get(&s.id)
                    .map(Vec::as_slice)
                    .unwrap_or_default()
                    .iter()
                    .copied(),
            ),
            id: s.id,
            code: s.code,
            name: s.name,
        })
        .collect();
    streets.sort_by(|a, b| a.code.cmp(&b.code));
    let target = policy::get(db).await?.policy.instructors_per_1000_target;
    Ok(Coverage {
        as_of,
        district: Totals::of(communities.iter()),
        streets,
        communities,
        instructors_per_1000_target: target,
    })
}

/// The communities counted that day with the assignments in force counted per role and
/// employment, in one grouped query: each community probes the covering index
/// `idx_assignment_coverage` for its own assignments (`EXPLAIN QUERY PLAN`: a scan of community,
/// a covering-index search of assignment). Assignments of one person, community and role never
/// overlap, so counting rows counts people.
pub const COMMUNITIES_ON_SQL: &str = "SELECT c.id, c.code, c.name, c.street_id, c.population, \
       CAST(COUNT(CASE WHEN a.role = 'community_sports_administrator' AND a.employment = 'full_time' THEN 1 END) AS BIGINT), \
       CAST(COUNT(CASE WHEN a.role = 'community_sports_administrator' AND (a.employment IS NULL OR a.employment <> 'full_time') THEN 1 END) AS BIGINT), \
       CAST(COUNT(CASE WHEN a.role = 'social_sports_instructor' THEN 1 END) AS BIGINT), \
       CAST(COUNT(CASE WHEN a.role = 'fitness_volunteer' THEN 1 END) AS BIGINT), \
       CAST(COUNT(CASE WHEN a.role = 'scientific_fitness_instructor' THEN 1 END) AS BIGINT) \
     FROM community c LEFT JOIN assignment a ON a.community_id = c.id \
       AND a.starts_on <= ? AND (a.ends_on IS NULL OR a.ends_on > ?) \
     WHERE (c.active = ? OR c.deactivated_on > ?)";

/// [`COMMUNITIES_ON_SQL`] for one day, of one street or all, with its bound values.
pub fn communities_on_statement(
    backend: DbBackend,
    day: NaiveDate,
    street_id: Option<i32>,
) -> Statement {
    let mut sql = String::from(COMMUNITIES_ON_SQL);
    let mut values: Vec<Value> = vec![day.into(), day.into(), true.into(), day.into()];
    if let Some(id) = street_id {
        sql.push_str(" AND c.street_id = ?");
        values.push(id.into());
    }
    sql.push_str(" GROUP BY c.id, c.code, c.name, c.street_id, c.population ORDER BY c.code");
    statement(backend, &sql, values)
}

async fn communities_on(
    db: &impl ConnectionTrait,
    day: NaiveDate,
    street_id: Option<i32>,
) -> Result<Vec<CommunityCoverage>, AppError> {
    let rows = db
        .query_all_raw(communities_on_statement(
            db.get_database_backend(),
            day,
            street_id,
        ))
        .await?;
    rows.into_iter()
        .map(|row| {
            let population: Option<i32> = row.try_get_by_index(4)?;
            let full: i64 = row.try_get_by_index(5)?;
            let part: i64 = row.try_get_by_index(6)?;
            let instructors: i64 = row.try_get_by_index(7)?;
            Ok(CommunityCoverage {
                id: row.try_get_by_index(0)?,
                code: row.try_get_by_index(1)?,
                name: row.try_get_by_index(2)?,
                street_id: row.try_get_by_index(3)?,
                population,
                administrators_full_time: full,
                administrators_part_time: part,
                instructors,
                volunteers: row.try_get_by_index(8)?,
                scientific_instructors: row.try_get_by_index(9)?,
                covered: full + part > 0,
                instructors_per_1000: population
                    .filter(|p| *p > 0)
                    .map(|p| instructors as f64 * 1000.0 / f64::from(p)),
            })
        })
        .collect()
}

/// An uncovered community and how long it has been so.
#[derive(Debug, Clone, PartialEq)]
pub struct Gap {
    pub community: CommunityCoverage,
    /// The day its last administrator assignment ended; `None` if it never had one.
    pub uncovered_since: Option<NaiveDate>,
    pub days: Option<i64>,
}

pub async fn gaps(
    db: &impl ConnectionTrait,
    caller: &Caller,
    as_of: NaiveDate,
    street_id: Option<i32>,
) -> Result<Vec<Gap>, AppError> {
    let street_id = checked_street(db, caller, street_id).await?;
    let rows = db
        .query_all_raw(gaps_statement(db.get_database_backend(), as_of, street_id))
        .await?;
    rows.into_iter()
        .map(|row| {
            let population: Option<i32> = row.try_get_by_index(4)?;
            let instructors: i64 = row.try_get_by_index(5)?;
            let uncovered_since: Option<NaiveDate> = row.try_get_by_index(8)?;
            Ok(Gap {
                community: CommunityCoverage {
                    id: row.try_get_by_index(0)?,
                    code: row.try_get_by_index(1)?,
                    name: row.try_get_by_index(2)?,
                    street_id: row.try_get_by_index(3)?,
                    population,
                    administrators_full_time: 0,
                    administrators_part_time: 0,
                    instructors,
                    volunteers: row.try_get_by_index(6)?,
                    scientific_instructors: row.try_get_by_index(7)?,
                    covered: false,
                    instructors_per_1000: population
                        .filter(|p| *p > 0)
                        .map(|p| instructors as f64 * 1000.0 / f64::from(p)),
                },
                days: uncovered_since.map(|since| (as_of - since).num_days()),
                uncovered_since,
            })
        })
        .collect()
}

/// The gaps on a day without the whole audit: each community probes the covering index for its
/// administrator terms begun by then, keeps itself when none is in force, and only those left
/// count their other roles.
fn gaps_statement(backend: DbBackend, day: NaiveDate, street_id: Option<i32>) -> Statement {
    let in_force = |role: &str| {
        format!(
            "(SELECT COUNT(*) FROM assignment r WHERE r.community_id = c.id AND r.role = '{role}' \
               AND r.starts_on <= ? AND (r.ends_on IS NULL OR r.ends_on > ?))"
        )
    };
    let mut sql = format!(
        "SELECT c.id, c.code, c.name, c.street_id, c.population, \
           CAST({} AS BIGINT), CAST({} AS BIGINT), CAST({} AS BIGINT), \
           MAX(CASE WHEN a.ends_on <= ? THEN a.ends_on END) \
         FROM community c LEFT JOIN assignment a ON a.community_id = c.id \
           AND a.role = '{ADMINISTRATOR}' AND a.starts_on <= ? \
         WHERE (c.active = ? OR c.deactivated_on > ?)",
        in_force("social_sports_instructor"),
        in_force("fitness_volunteer"),
        in_force("scientific_fitness_instructor"),
    );
    let mut values: Vec<Value> = vec![day.into(); 6];
    values.extend([day.into(), day.into(), true.into(), day.into()]);
    if let Some(id) = street_id {
        sql.push_str(" AND c.street_id = ?");
        values.push(id.into());
    }
    sql.push_str(
        " GROUP BY c.id, c.code, c.name, c.street_id, c.population \
         HAVING COUNT(CASE WHEN a.id IS NOT NULL AND (a.ends_on IS NULL OR a.ends_on > ?) THEN 1 END) = 0 \
         ORDER BY c.code",
    );
    values.push(day.into());
    statement(backend, &sql, values)
}

/// The gaps of an audit already made: its uncovered communities, each with the day its last
/// administrator left.
pub async fn gaps_in(db: &impl ConnectionTrait, coverage: &Coverage) -> Result<Vec<Gap>, AppError> {
    let as_of = coverage.as_of;
    let sql = "SELECT community_id, MAX(ends_on) FROM assignment \
               WHERE role = ? AND ends_on IS NOT NULL AND ends_on <= ? GROUP BY community_id";
    let rows = db
        .query_all_raw(statement(
            db.get_database_backend(),
            sql,
            vec![ADMINISTRATOR.into(), as_of.into()],
        ))
        .await?;
    let mut last_ended: HashMap<i32, NaiveDate> = HashMap::new();
    for row in rows {
        last_ended.insert(row.try_get_by_index(0)?, row.try_get_by_index(1)?);
    }
    Ok(coverage
        .communities
        .iter()
        .filter(|c| !c.covered)
        .map(|community| {
            let uncovered_since = last_ended.get(&community.id).copied();
            Gap {
                days: uncovered_since.map(|since| (as_of - since).num_days()),
                uncovered_since,
                community: community.clone(),
            }
        })
        .collect())
}

/// A community covered today that will not be within the window.
#[derive(Debug, Clone, PartialEq)]
pub struct AtRisk {
    pub community: CommunityCoverage,
    /// The first day without an administrator.
    pub uncovered_from: NaiveDate,
    pub days_left: i64,
}

pub async fn at_risk(
    db: &impl ConnectionTrait,
    caller: &Caller,
    within_days: u32,
    street_id: Option<i32>,
) -> Result<Vec<AtRisk>, AppError> {
    let coverage = audit(db, caller, today(), street_id).await?;
    at_risk_in(db, &coverage, within_days).await
}

/// The communities of an audit already made that were covered on its day and would not be
/// within `within_days` after it.
pub async fn at_risk_in(
    db: &impl ConnectionTrait,
    coverage: &Coverage,
    within_days: u32,
) -> Result<Vec<AtRisk>, AppError> {
    let day = coverage.as_of;
    let horizon = day + TimeDelta::days(i64::from(within_days));
    let terms = administrator_terms(db, day, horizon, None).await?;
    Ok(at_risk_among(coverage, &terms, within_days))
}

/// An administrator's term in a community.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Term {
    pub community_id: i32,
    pub starts_on: NaiveDate,
    pub ends_on: Option<NaiveDate>,
}

/// The administrator terms in force on some day from `from` to `to`, of one street or the
/// district, in one query: read once, they serve the at-risk list and the trend alike.
pub async fn administrator_terms(
    db: &impl ConnectionTrait,
    from: NaiveDate,
    to: NaiveDate,
    street_id: Option<i32>,
) -> Result<Vec<Term>, AppError> {
    let mut sql = String::from(
        "SELECT community_id, starts_on, ends_on FROM assignment \
         WHERE role = ? AND starts_on <= ? AND (ends_on IS NULL OR ends_on > ?)",
    );
    let mut values: Vec<Value> = vec![ADMINISTRATOR.into(), to.into(), from.into()];
    if let Some(id) = street_id {
        sql.push_str(" AND community_id IN (SELECT id FROM community WHERE street_id = ?)");
        values.push(id.into());
    }
    let rows = db
        .query_all_raw(statement(db.get_database_backend(), &sql, values))
        .await?;
    rows.into_iter()
        .map(|row| {
            Ok(Term {
                community_id: row.try_get_by_index(0)?,
                starts_on: row.try_get_by_index(1)?,
                ends_on: row.try_get_by_index(2)?,
            })
        })
        .collect()
}

/// The communities covered on the audit's day that will not be within `within_days`, from terms
/// that hold at least every one in force between that day and the horizon (more are harmless).
pub fn at_risk_among(coverage: &Coverage, terms: &[Term], within_days: u32) -> Vec<AtRisk> {
    let day = coverage.as_of;
    let horizon = day + TimeDelta::days(i64::from(within_days));
    let mut by_community: HashMap<i32, Vec<(NaiveDate, Option<NaiveDate>)>> = HashMap::new();
    for term in terms {
        if term.starts_on <= horizon && term.ends_on.is_none_or(|end| end > day) {
            by_community
                .entry(term.community_id)
                .or_default()
                .push((term.starts_on, term.ends_on));
        }
    }
    let mut risks = Vec::new();
    for community in coverage.communities.iter().filter(|c| c.covered) {
        let terms = by_community.remove(&community.id).unwrap_or_default();
        if let Some(uncovered_from) = first_uncovered_day(&terms, day, horizon) {
            risks.push(AtRisk {
                days_left: (uncovered_from - day).num_days(),
                uncovered_from,
                community: community.clone(),
            });
        }
    }
    risks
}

/// Walks from `day` along the terms in force until the horizon; the first day no term covers.
fn first_uncovered_day(
    terms: &[(NaiveDate, Option<NaiveDate>)],
    mut day: NaiveDate,
    horizon: NaiveDate,
) -> Option<NaiveDate> {
    while day <= horizon {
        let mut latest_end: Option<NaiveDate> = None;
        let mut covered = false;
        for (_, end) in terms
            .iter()
            .filter(|(start, end)| *start <= day && end.is_none_or(|e| e > day))
        {
            covered = true;
            match end {
                None => return None,
                Some(end) => latest_end = Some(latest_end.map_or(*end, |l| l.max(*end))),
            }
        }
        if !covered {
            return Some(day);
        }
        day = latest_end.expect("a covering term with an end");
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 12, day).unwrap()
    }

    #[test]
    fn a_chain_of_terms_is_followed_to_its_first_gap() {
        let terms = [(d(1), Some(d(10))), (d(10), Some(d(20)))];
        assert_eq!(first_uncovered_day(&terms, d(5), d(31)), Some(d(20)));
        assert_eq!(
            first_uncovered_day(&terms, d(5), d(15)),
            None,
            "the gap is past the horizon"
        );
        assert_eq!(first_uncovered_day(&[(d(1), None)], d(5), d(31)), None);
        assert_eq!(
            first_uncovered_day(&[(d(1), Some(d(8))), (d(9), None)], d(5), d(31)),
            Some(d(8))
        );
    }
}
