//! Service sessions people ran in communities, and the idempotency keys of their creation.

use sea_orm_migration::{prelude::*, schema::*};

use crate::{
    m20261201_000002_create_communities::Community, m20261204_000001_create_people::Person,
};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(ServiceSession::Table)
                    .if_not_exists()
                    .col(pk_auto(ServiceSession::Id))
                    .col(integer(ServiceSession::PersonId))
                    .col(integer(ServiceSession::CommunityId))
                    .col(timestamp_with_time_zone(ServiceSession::StartedAt))
                    .col(timestamp_with_time_zone_null(ServiceSession::EndedAt))
                    .col(string_len(ServiceSession::Activity, 64))
                    .col(integer(ServiceSession::Participants).default(0))
                    .col(text(ServiceSession::Description))
                    .col(string_len(ServiceSession::Status, 16))
                    .col(integer(ServiceSession::Quarters).default(0))
                    .col(string_len(ServiceSession::Source, 16))
                    .col(boolean(ServiceSession::NeedsAttention).default(false))
                    .col(integer_null(ServiceSession::ReviewedBy))
                    .col(timestamp_with_time_zone_null(ServiceSession::ReviewedAt))
                    .col(text_null(ServiceSession::ReviewNote))
                    .col(integer_null(ServiceSession::CreatedBy))
                    .col(integer(ServiceSession::Version).default(1))
                    .col(timestamp_with_time_zone(ServiceSession::CreatedAt))
                    .col(timestamp_with_time_zone(ServiceSession::UpdatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_service_session_person")
                            .from(ServiceSession::Table, ServiceSession::PersonId)
                            .to(Person::Table, Person::Id),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_service_session_community")
                            .from(ServiceSession::Table, ServiceSession::CommunityId)
                            .to(Community::Table, Community::Id),
                    )
                    .to_owned(),
            )
            .await?;
        for (name, columns) in [
            (
                "idx_service_session_person_start",
                vec![ServiceSession::PersonId, ServiceSession::StartedAt],
            ),
            (
                "idx_service_session_community_status",
                vec![
                    ServiceSession::CommunityId,
                    ServiceSession::Status,
                    ServiceSession::StartedAt,
                ],
            ),
            (
                "idx_service_session_status_created",
                vec![ServiceSession::Status, ServiceSession::CreatedAt],
            ),
        ] {
            manager
                .create_index(crate::index(name, ServiceSession::Table, columns))
                .await?;
        }
        manager
            .create_table(
                Table::create()
                    .table(SessionIdempotency::Table)
                    .if_not_exists()
                    .col(integer(SessionIdempotency::AccountId))
                    .col(string_len(SessionIdempotency::Key, 128))
                    .col(string_len(SessionIdempotency::RequestHash, 64))
                    .col(integer(SessionIdempotency::SessionId))
                    .col(timestamp_with_time_zone(SessionIdempotency::CreatedAt))
                    .primary_key(
                        Index::create()
                            .col(SessionIdempotency::AccountId)
                            .col(SessionIdempotency::Key),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(SessionCorrection::Table)
                    .if_not_exists()
                    .col(pk_auto(SessionCorrection::Id))
                    .col(integer(SessionCorrection::SessionId))
                    .col(integer_null(SessionCorrection::RequestedBy))
                    .col(text(SessionCorrection::Reason))
                    .col(text(SessionCorrection::Changes))
                    .col(string_len(SessionCorrection::Status, 16))
                    .col(integer_null(SessionCorrection::ReviewedBy))
                    .col(timestamp_with_time_zone_null(SessionCorrection::ReviewedAt))
                    .col(text_null(SessionCorrection::ReviewNote))
                    .col(timestamp_with_time_zone(SessionCorrection::CreatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_session_correction_session")
                            .from(SessionCorrection::Table, SessionCorrection::SessionId)
                            .to(ServiceSession::Table, ServiceSession::Id),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(SessionHistory::Table)
                    .if_not_exists()
                    .col(pk_auto(SessionHistory::Id))
                    .col(integer(SessionHistory::SessionId))
                    .col(string_len(SessionHistory::Action, 32))
                    .col(integer_null(SessionHistory::ChangedBy))
                    .col(timestamp_with_time_zone(SessionHistory::ChangedAt))
                    .col(text_null(SessionHistory::Reason))
                    .col(text(SessionHistory::Before))
                    .col(text(SessionHistory::After))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_session_history_session")
                            .from(SessionHistory::Table, SessionHistory::SessionId)
                            .to(ServiceSession::Table, ServiceSession::Id),
                    )
                    .to_owned(),
            )
            .await?;
        for (name, table, column) in [
            (
                "idx_session_correction_session",
                SessionCorrection::Table.into_iden(),
                SessionCorrection::SessionId.into_iden(),
            ),
            (
                "idx_session_history_session",
                SessionHistory::Table.into_iden(),
                SessionHistory::SessionId.into_iden(),
            ),
        ] {
            manager
                .create_index(
                    Index::create()
                        .name(name)
                        .table(table)
                        .col(column)
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            SessionHistory::Table.into_iden(),
            SessionCorrection::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        manager
            .drop_table(Table::drop().table(SessionIdempotency::Table).to_owned())
            .await?;
        manager
            .drop_table(Table::drop().table(ServiceSession::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
enum ServiceSession {
    Table,
    Id,
    PersonId,
    CommunityId,
    StartedAt,
    EndedAt,
    Activity,
    Participants,
    Description,
    Status,
    Quarters,
    Source,
    NeedsAttention,
    ReviewedBy,
    ReviewedAt,
    ReviewNote,
    CreatedBy,
    Version,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum SessionIdempotency {
    Table,
    AccountId,
    Key,
    RequestHash,
    SessionId,
    CreatedAt,
}

#[derive(DeriveIden)]
enum SessionCorrection {
    Table,
    Id,
    SessionId,
    RequestedBy,
    Reason,
    Changes,
    Status,
    ReviewedBy,
    ReviewedAt,
    ReviewNote,
    CreatedAt,
}

#[derive(DeriveIden)]
enum SessionHistory {
    Table,
    Id,
    SessionId,
    Action,
    ChangedBy,
    ChangedAt,
    Reason,
    Before,
    After,
}
