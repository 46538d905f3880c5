//! Instructor careers: annual work registrations (工作注册), and on each qualification the day its
//! grade was granted with the eligibility judged that day.

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
                    .table(Registration::Table)
                    .if_not_exists()
                    .col(pk_auto(Registration::Id))
                    .col(integer(Registration::PersonId))
                    .col(integer(Registration::Year))
                    .col(string_len(Registration::Status, 16))
                    .col(text(Registration::Reason))
                    .col(boolean(Registration::Overridden).default(false))
                    .col(string_len_null(Registration::Note, 500))
                    .col(string_len_null(Registration::Grade, 16))
                    .col(integer(Registration::ServedQuarters))
                    .col(integer_null(Registration::CreatedBy))
                    .col(timestamp_with_time_zone(Registration::CreatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_registration_person")
                            .from(Registration::Table, Registration::PersonId)
                            .to(Person::Table, Person::Id),
                    )
                    .to_owned(),
            )
            .await?;
        // One registration per person and year; the index also serves the lapsed filter.
        manager
            .create_index(
                crate::index(
                    "idx_registration_person_year",
                    Registration::Table,
                    [Registration::PersonId, Registration::Year],
                )
                .unique()
                .to_owned(),
            )
            .await?;
        manager
            .create_index(crate::index(
                "idx_registration_year_status",
                Registration::Table,
                [Registration::Year, Registration::Status],
            ))
            .await?;
        // SQLite alters one column per statement.
        manager
            .alter_table(
                Table::alter()
                    .table(Qualification::Table)
                    .add_column(date_null(Qualification::GradeGrantedOn))
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Qualification::Table)
                    .add_column(text_null(Qualification::EligibilityAtGrant))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for column in [
            Qualification::EligibilityAtGrant,
            Qualification::GradeGrantedOn,
        ] {
            manager
                .alter_table(
                    Table::alter()
                        .table(Qualification::Table)
                        .drop_column(column)
                        .to_owned(),
                )
                .await?;
        }
        manager
            .drop_table(Table::drop().table(Registration::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
enum Registration {
    Table,
    Id,
    PersonId,
    Year,
    Status,
    Reason,
    Overridden,
    Note,
    Grade,
    ServedQuarters,
    CreatedBy,
    CreatedAt,
}

#[derive(DeriveIden)]
enum Qualification {
    Table,
    GradeGrantedOn,
    EligibilityAtGrant,
}
