//! Communities and villages (社区/村): the unit the coverage audit counts.

use sea_orm_migration::{prelude::*, schema::*};

use crate::m20261201_000001_create_streets::Street;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Community::Table)
                    .if_not_exists()
                    .col(pk_auto(Community::Id))
                    .col(integer(Community::StreetId))
                    .col(string_len_uniq(Community::Code, 12))
                    .col(string(Community::Name))
                    .col(string(Community::OfficialName))
                    .col(string_len(Community::Kind, 16))
                    .col(integer_null(Community::Population))
                    .col(boolean(Community::Active).default(true))
                    .col(integer(Community::Version).default(1))
                    .col(timestamp_with_time_zone(Community::CreatedAt))
                    .col(timestamp_with_time_zone(Community::UpdatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_community_street")
                            .from(Community::Table, Community::StreetId)
                            .to(Street::Table, Street::Id)
                            .on_delete(ForeignKeyAction::Restrict),
                    )
                    .to_owned(),
            )
            .await?;
        // Lists filter by street and active flag and sort by code.
        manager
            .create_index(
                Index::create()
                    .name("idx_community_street_active_code")
                    .table(Community::Table)
                    .col(Community::StreetId)
                    .col(Community::Active)
                    .col(Community::Code)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(Community::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
pub(crate) enum Community {
    Table,
    Id,
    StreetId,
    Code,
    Name,
    OfficialName,
    Kind,
    Population,
    Active,
    Version,
    CreatedAt,
    UpdatedAt,
}
