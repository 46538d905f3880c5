//! Service certificates (志愿服务记录证明): each issued certificate, found again by its code.

use sea_orm_migration::{prelude::*, schema::*};

use crate::m20261204_000001_create_people::Person;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Certificate::Table)
                    .if_not_exists()
                    .col(pk_auto(Certificate::Id))
                    .col(string_len_uniq(Certificate::Code, 64))
                    .col(string_len_null(Certificate::Number, 32))
                    .col(integer(Certificate::PersonId))
                    .col(date(Certificate::PeriodFrom))
                    .col(date(Certificate::PeriodTo))
                    .col(integer(Certificate::Quarters))
                    .col(integer(Certificate::Sessions))
                    .col(string(Certificate::Issuer))
                    .col(integer_null(Certificate::IssuedBy))
                    .col(timestamp_with_time_zone(Certificate::IssuedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_certificate_person")
                            .from(Certificate::Table, Certificate::PersonId)
                            .to(Person::Table, Person::Id),
                    )
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(Certificate::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
enum Certificate {
    Table,
    Id,
    Code,
    Number,
    PersonId,
    PeriodFrom,
    PeriodTo,
    Quarters,
    Sessions,
    Issuer,
    IssuedBy,
    IssuedAt,
}
