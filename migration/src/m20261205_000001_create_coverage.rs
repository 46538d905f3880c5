//! For the coverage audit: the day a community was deactivated (so a past day's audit still
//! counts it), an administrator assignment's employment as it was when made, and the record of
//! scheduled jobs that run at most once a day.

use sea_orm_migration::{prelude::*, schema::*};

use crate::{
    m20261201_000002_create_communities::Community, m20261204_000001_create_people::Assignment,
};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(Community::Table)
                    .add_column(date_null(CoverageColumns::DeactivatedOn))
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Assignment::Table)
                    .add_column(string_len_null(CoverageColumns::Employment, 16))
                    .to_owned(),
            )
            .await?;
        // The audit reads only these columns of the assignments; covering them spares a table
        // lookup per assignment.
        manager
            .create_index(
                Index::create()
                    .name("idx_assignment_coverage")
                    .table(Assignment::Table)
                    .col(CoverageColumns::CommunityId)
                    .col(CoverageColumns::Role)
                    .col(CoverageColumns::Employment)
                    .col(CoverageColumns::StartsOn)
                    .col(CoverageColumns::EndsOn)
                    .col(CoverageColumns::PersonId)
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(ScheduledRun::Table)
                    .if_not_exists()
                    .col(string_len(ScheduledRun::Job, 64).primary_key())
                    .col(date_null(ScheduledRun::LastRunOn))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(ScheduledRun::Table).to_owned())
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Assignment::Table)
                    .drop_column(CoverageColumns::Employment)
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Community::Table)
                    .drop_column(CoverageColumns::DeactivatedOn)
                    .to_owned(),
            )
            .await
    }
}

#[derive(DeriveIden)]
enum CoverageColumns {
    DeactivatedOn,
    Employment,
    CommunityId,
    Role,
    StartsOn,
    EndsOn,
    PersonId,
}

#[derive(DeriveIden)]
enum ScheduledRun {
    Table,
    Job,
    LastRunOn,
}
