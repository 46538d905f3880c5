//! Coverage alerts: every street officer with an address gets one mail listing the uncovered and
//! at-risk communities of its street, through the outbox. The daily run happens at most once a
//! day, whatever the number of servers or restarts.

use std::collections::BTreeMap;

use chrono::{NaiveDate, NaiveTime, Utc};
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter};

use super::{audit::Entry, coverage, schedule};
use crate::{
    auth::{Caller, Target},
    db,
    domain::{
        account::Role,
        time::{self, today},
    },
    entities::{account, street},
    error::AppError,
    mail::{self, Mail},
};

/// How far ahead the alert looks for communities about to lose their administrator.
pub const AT_RISK_DAYS: u32 = 30;
const JOB: &str = "coverage_alert";

/// One street's uncovered communities (with the day the gap began) and at-risk communities
/// (with the day they lose their administrator).
type StreetAlert = (Vec<(String, Option<NaiveDate>)>, Vec<(String, NaiveDate)>);

/// What one alert run did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct AlertRun {
    pub streets: usize,
    pub mails: usize,
}

/// Queues the alert mails for today.
pub async fn send(db: &DatabaseConnection, caller: &Caller) -> Result<AlertRun, AppError> {
    queue(db, caller, None)
        .await?
        .ok_or_else(|| AppError::Internal("an unclaimed alert run was skipped".into()))
}

/// Queues the alert mails; with `claim`, only if the day can be claimed for the daily job, in the
/// same transaction, so a failed run leaves the day unclaimed and a claimed day has its mails.
async fn queue(
    db: &DatabaseConnection,
    caller: &Caller,
    claim: Option<NaiveDate>,
) -> Result<Option<AlertRun>, AppError> {
    caller.require(
        caller.role == Role::BureauAdmin && caller.can_write(Target::DistrictRecords),
        "send coverage alerts",
    )?;
    let day = today();
    let gaps = coverage::gaps(db, caller, day, None).await?;
    let risks = coverage::at_risk(db, caller, AT_RISK_DAYS, None).await?;
    let mut by_street: BTreeMap<i32, StreetAlert> = BTreeMap::new();
    for gap in gaps {
        by_street
            .entry(gap.community.street_id)
            .or_default()
            .0
            .push((gap.community.name, gap.uncovered_since));
    }
    for risk in risks {
        by_street
            .entry(risk.community.street_id)
            .or_default()
            .1
            .push((risk.community.name, risk.uncovered_from));
    }
    let officers = account::Entity::find()
        .filter(account::Column::Role.eq(Role::StreetOfficer))
        .filter(account::Column::Disabled.eq(false))
        .filter(account::Column::Email.is_not_null())
        .filter(account::Column::StreetId.is_in(by_street.keys().copied()))
        .all(db)
        .await?;
    let names: BTreeMap<i32, String> = street::Entity::find()
        .filter(street::Column::Id.is_in(by_street.keys().copied()))
        .all(db)
        .await?
        .into_iter()
        .map(|s| (s.id, s.name))
        .collect();
    let txn = db::begin_write(db).await?;
    if let Some(day) = claim
        && !schedule::claim_day(&txn, JOB, day).await?
    {
        return Ok(None);
    }
    let mut run = AlertRun {
        streets: by_street.len(),
        mails: 0,
    };
    for officer in &officers {
        let Some(street_id) = officer.street_id else {
            continue;
        };
        let (Some((gaps, at_risk)), Some(street)) =
            (by_street.get(&street_id), names.get(&street_id))
        else {
            continue;
        };
        let mail = Mail::CoverageAlert {
            street,
            as_of: day,
            gaps: gaps.clone(),
            at_risk: at_risk.clone(),
        };
        mail::enqueue(&txn, officer.email.as_deref().unwrap_or_default(), &mail).await?;
        run.mails += 1;
    }
    Entry::new("send_coverage_alerts", "coverage", day)
        .after(&serde_json::json!({"streets": run.streets, "mails": run.mails}))
        .record(&txn, caller)
        .await?;
    txn.commit().await?;
    Ok(Some(run))
}

/// Runs the daily alert when the district clock has passed `at` and it has not run today yet.
/// Returns what it did, or `None` when it was not due or ran already.
pub async fn run_daily_if_due(
    db: &DatabaseConnection,
    at: NaiveTime,
    now: chrono::DateTime<Utc>,
) -> Result<Option<AlertRun>, AppError> {
    let local = time::local(now);
    if local.time() < at {
        return Ok(None);
    }
    let day = local.date_naive();
    if schedule::ran_on(db, JOB, day).await? {
        return Ok(None);
    }
    queue(db, &Caller::system(), Some(day)).await
}

/// The daily loop in `serve`: checks every half minute until shutdown.
pub async fn run_daily(
    db: DatabaseConnection,
    at: NaiveTime,
    shutdown: tokio::sync::watch::Receiver<bool>,
) {
    schedule::every_half_minute(shutdown, "daily coverage alert", || async {
        Ok(run_daily_if_due(&db, at, Utc::now())
            .await?
            .map(|run| format!("{} streets, {} mails", run.streets, run.mails)))
    })
    .await
}
