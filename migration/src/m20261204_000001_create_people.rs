//! The people registry: people, their specialties and qualifications, their assignments to
//! communities, and the imports that created people in bulk.

use sea_orm_migration::{prelude::*, schema::*};

use crate::{
    m20261201_000001_create_streets::Street, m20261201_000002_create_communities::Community,
};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(PeopleImport::Table)
                    .if_not_exists()
                    .col(string_len(PeopleImport::Id, 40).primary_key())
                    .col(integer_null(PeopleImport::CreatedBy))
                    .col(integer(PeopleImport::Created))
                    .col(integer(PeopleImport::Updated))
                    .col(timestamp_with_time_zone(PeopleImport::CreatedAt))
                    .col(timestamp_with_time_zone_null(PeopleImport::UndoneAt))
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(Person::Table)
                    .if_not_exists()
                    .col(pk_auto(Person::Id))
                    .col(string(Person::Name))
                    .col(string_len(Person::Gender, 8))
                    .col(date(Person::BirthDate))
                    .col(string_len_uniq(Person::IdNumber, 18))
                    .col(string_len(Person::Phone, 16))
                    .col(string_len_null(Person::Email, 254))
                    .col(integer(Person::StreetId))
                    .col(string_len(Person::Status, 16))
                    .col(string_len_null(Person::ImportId, 40))
                    .col(integer(Person::Version).default(1))
                    .col(timestamp_with_time_zone(Person::CreatedAt))
                    .col(timestamp_with_time_zone(Person::UpdatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_person_street")
                            .from(Person::Table, Person::StreetId)
                            .to(Street::Table, Street::Id),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_person_import")
                            .from(Person::Table, Person::ImportId)
                            .to(PeopleImport::Table, PeopleImport::Id)
                            .on_delete(ForeignKeyAction::SetNull),
                    )
                    .to_owned(),
            )
            .await?;
        for (name, columns) in [
            (
                "idx_person_street_status",
                vec![Person::StreetId, Person::Status],
            ),
            ("idx_person_phone", vec![Person::Phone]),
            ("idx_person_name", vec![Person::Name]),
            ("idx_person_import", vec![Person::ImportId]),
        ] {
            manager
                .create_index(crate::index(name, Person::Table, columns))
                .await?;
        }

        manager
            .create_table(
                Table::create()
                    .table(PersonSpecialty::Table)
                    .if_not_exists()
                    .col(integer(PersonSpecialty::PersonId))
                    .col(string_len(PersonSpecialty::SportItem, 64))
                    .col(string_len_null(PersonSpecialty::LicenceNo, 64))
                    .primary_key(
                        Index::create()
                            .col(PersonSpecialty::PersonId)
                            .col(PersonSpecialty::SportItem),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_person_specialty_person")
                            .from(PersonSpecialty::Table, PersonSpecialty::PersonId)
                            .to(Person::Table, Person::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_person_specialty_item")
                    .table(PersonSpecialty::Table)
                    .col(PersonSpecialty::SportItem)
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(Qualification::Table)
                    .if_not_exists()
                    .col(pk_auto(Qualification::Id))
                    .col(integer(Qualification::PersonId))
                    .col(string_len(Qualification::Kind, 48))
                    .col(string_len_null(Qualification::Grade, 16))
                    .col(string_len_null(Qualification::CertificateNo, 64))
                    .col(date(Qualification::CertifiedOn))
                    .col(string_len_null(Qualification::Employment, 16))
                    .col(string_len_null(Qualification::IssuedBy, 128))
                    .col(string_len(Qualification::Status, 16))
                    .col(timestamp_with_time_zone_null(Qualification::RevokedAt))
                    .col(integer_null(Qualification::RevokedBy))
                    .col(text_null(Qualification::RevokeReason))
                    .col(string_len_null(Qualification::ImportId, 40))
                    .col(integer(Qualification::Version).default(1))
                    .col(timestamp_with_time_zone(Qualification::CreatedAt))
                    .col(timestamp_with_time_zone(Qualification::UpdatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_qualification_person")
                            .from(Qualification::Table, Qualification::PersonId)
                            .to(Person::Table, Person::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        for (name, columns) in [
            (
                "idx_qualification_person",
                vec![Qualification::PersonId, Qualification::Kind],
            ),
            (
                "idx_qualification_kind_status",
                vec![
                    Qualification::Kind,
                    Qualification::Status,
                    Qualification::Grade,
                ],
            ),
        ] {
            manager
                .create_index(crate::index(name, Qualification::Table, columns))
                .await?;
        }

        manager
            .create_table(
                Table::create()
                    .table(Assignment::Table)
                    .if_not_exists()
                    .col(pk_auto(Assignment::Id))
                    .col(integer(Assignment::PersonId))
                    .col(integer(Assignment::CommunityId))
                    .col(string_len(Assignment::Role, 48))
                    .col(date(Assignment::StartsOn))
                    .col(date_null(Assignment::EndsOn))
                    .col(text_null(Assignment::EndReason))
                    .col(integer_null(Assignment::CreatedBy))
                    .col(string_len_null(Assignment::ImportId, 40))
                    .col(timestamp_with_time_zone(Assignment::CreatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_assignment_person")
                            .from(Assignment::Table, Assignment::PersonId)
                            .to(Person::Table, Person::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_assignment_community")
                            .from(Assignment::Table, Assignment::CommunityId)
                            .to(Community::Table, Community::Id),
                    )
                    .to_owned(),
            )
            .await?;
        for (name, columns) in [
            (
                "idx_assignment_community_role",
                vec![
                    Assignment::CommunityId,
                    Assignment::Role,
                    Assignment::StartsOn,
                ],
            ),
            (
                "idx_assignment_person",
                vec![Assignment::PersonId, Assignment::Role],
            ),
        ] {
            manager
                .create_index(crate::index(name, Assignment::Table, columns))
                .await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            Assignment::Table.into_iden(),
            Qualification::Table.into_iden(),
            PersonSpecialty::Table.into_iden(),
            Person::Table.into_iden(),
            PeopleImport::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}

#[derive(DeriveIden)]
pub(crate) enum Person {
    Table,
    Id,
    Name,
    Gender,
    BirthDate,
    IdNumber,
    Phone,
    Email,
    StreetId,
    Status,
    ImportId,
    Version,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum PeopleImport {
    Table,
    Id,
    CreatedBy,
    Created,
    Updated,
    CreatedAt,
    UndoneAt,
}

#[derive(DeriveIden)]
enum PersonSpecialty {
    Table,
    PersonId,
    SportItem,
    LicenceNo,
}

#[derive(DeriveIden)]
enum Qualification {
    Table,
    Id,
    PersonId,
    Kind,
    Grade,
    CertificateNo,
    CertifiedOn,
    Employment,
    IssuedBy,
    Status,
    RevokedAt,
    RevokedBy,
    RevokeReason,
    ImportId,
    Version,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
pub(crate) enum Assignment {
    Table,
    Id,
    PersonId,
    CommunityId,
    Role,
    StartsOn,
    EndsOn,
    EndReason,
    CreatedBy,
    ImportId,
    CreatedAt,
}
