//! Training: the bureau's courses and the people enrolled in them, with their results.

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
                    .table(Course::Table)
                    .if_not_exists()
                    .col(pk_auto(Course::Id))
                    .col(string_len(Course::Title, 200))
                    .col(string_len(Course::Kind, 16))
                    .col(string_len(Course::TargetRole, 48))
                    .col(string_len_null(Course::TargetGrade, 16))
                    .col(string_len(Course::Organizer, 200))
                    .col(string_len(Course::Location, 200))
                    .col(text_null(Course::Description))
                    .col(date(Course::StartsOn))
                    .col(date(Course::EndsOn))
                    .col(integer(Course::Quarters))
                    .col(integer(Course::Capacity))
                    .col(string_len(Course::Status, 16))
                    .col(string_len_null(Course::CancelReason, 500))
                    .col(integer(Course::Version).default(1))
                    .col(integer_null(Course::CreatedBy))
                    .col(timestamp_with_time_zone(Course::CreatedAt))
                    .col(timestamp_with_time_zone(Course::UpdatedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(crate::index(
                "idx_course_status_starts",
                Course::Table,
                [Course::Status, Course::StartsOn],
            ))
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(Enrollment::Table)
                    .if_not_exists()
                    .col(pk_auto(Enrollment::Id))
                    .col(integer(Enrollment::CourseId))
                    .col(integer(Enrollment::PersonId))
                    .col(string_len(Enrollment::Status, 16))
                    .col(string_len_null(Enrollment::Result, 16))
                    .col(integer_null(Enrollment::CreditedQuarters))
                    .col(double_null(Enrollment::Score))
                    .col(integer_null(Enrollment::EnrolledBy))
                    .col(timestamp_with_time_zone(Enrollment::EnrolledAt))
                    .col(integer_null(Enrollment::WithdrawnBy))
                    .col(timestamp_with_time_zone_null(Enrollment::WithdrawnAt))
                    .col(integer_null(Enrollment::ResultBy))
                    .col(timestamp_with_time_zone_null(Enrollment::ResultAt))
                    .col(integer(Enrollment::Version).default(1))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_enrollment_course")
                            .from(Enrollment::Table, Enrollment::CourseId)
                            .to(Course::Table, Course::Id),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_enrollment_person")
                            .from(Enrollment::Table, Enrollment::PersonId)
                            .to(Person::Table, Person::Id),
                    )
                    .to_owned(),
            )
            .await?;
        // A person holds at most one enrolment per course; the index also serves the seat count.
        manager
            .create_index(
                crate::index(
                    "idx_enrollment_course_person",
                    Enrollment::Table,
                    [Enrollment::CourseId, Enrollment::PersonId],
                )
                .unique()
                .to_owned(),
            )
            .await?;
        manager
            .create_index(crate::index(
                "idx_enrollment_person",
                Enrollment::Table,
                [Enrollment::PersonId],
            ))
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(Enrollment::Table).to_owned())
            .await?;
        manager
            .drop_table(Table::drop().table(Course::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
pub(crate) enum Course {
    Table,
    Id,
    Title,
    Kind,
    TargetRole,
    TargetGrade,
    Organizer,
    Location,
    Description,
    StartsOn,
    EndsOn,
    Quarters,
    Capacity,
    Status,
    CancelReason,
    Version,
    CreatedBy,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum Enrollment {
    Table,
    Id,
    CourseId,
    PersonId,
    Status,
    Result,
    CreditedQuarters,
    Score,
    EnrolledBy,
    EnrolledAt,
    WithdrawnBy,
    WithdrawnAt,
    ResultBy,
    ResultAt,
    Version,
}
