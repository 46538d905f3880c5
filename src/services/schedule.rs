//! Daily jobs: each runs at most once a day (district time), whatever the number of servers or
//! restarts, by claiming the day in the `scheduled_run` table.

use std::future::Future;

use chrono::NaiveDate;
use sea_orm::{
    ActiveValue::Set,
    ColumnTrait, Condition, DatabaseConnection, DatabaseTransaction, EntityTrait, QueryFilter,
    sea_query::{Expr, OnConflict},
};

use crate::{entities::scheduled_run, error::AppError};

/// Whether `job` has run on `day` already: a cheap look before doing the day's work.
pub async fn ran_on(db: &DatabaseConnection, job: &str, day: NaiveDate) -> Result<bool, AppError> {
    Ok(scheduled_run::Entity::find_by_id(job.to_owned())
        .one(db)
        .await?
        .and_then(|run| run.last_run_on)
        .is_some_and(|last| last >= day))
}

/// Marks `day` as run for `job` inside the caller's write transaction, which also queues the day's
/// work: false when it had been marked already (by this or another server). The conditional
/// update is atomic on both backends, and a run that fails rolls its claim back with it.
pub async fn claim_day(
    txn: &DatabaseTransaction,
    job: &str,
    day: NaiveDate,
) -> Result<bool, AppError> {
    scheduled_run::Entity::insert(scheduled_run::ActiveModel {
        job: Set(job.to_owned()),
        last_run_on: Set(None),
    })
    .on_conflict(
        OnConflict::column(scheduled_run::Column::Job)
            .do_nothing()
            .to_owned(),
    )
    .exec_without_returning(txn)
    .await?;
    let claimed = scheduled_run::Entity::update_many()
        .col_expr(scheduled_run::Column::LastRunOn, Expr::value(day))
        .filter(scheduled_run::Column::Job.eq(job))
        .filter(
            Condition::any()
                .add(scheduled_run::Column::LastRunOn.is_null())
                .add(scheduled_run::Column::LastRunOn.lt(day)),
        )
        .exec(txn)
        .await?;
    Ok(claimed.rows_affected == 1)
}

/// Calls `tick` every half minute until shutdown, logging what it did (`Some`) or why it failed.
pub async fn every_half_minute<F, Fut>(
    mut shutdown: tokio::sync::watch::Receiver<bool>,
    name: &'static str,
    mut tick: F,
) where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<Option<String>, AppError>>,
{
    loop {
        match tick().await {
            Ok(Some(done)) => tracing::info!(job = name, %done, "daily job ran"),
            Ok(None) => {}
            Err(err) => tracing::warn!(job = name, error = %err, "daily job failed"),
        }
        tokio::select! {
            () = tokio::time::sleep(std::time::Duration::from_secs(30)) => {}
            _ = shutdown.changed() => {}
        }
        if *shutdown.borrow() {
            break;
        }
    }
}
