//! Schema migrations for fitreg. One set of migrations serves SQLite and PostgreSQL: enums are
//! stored as text and instants as timestamps with time zone, which both backends understand.

pub use sea_orm_migration::prelude::*;

mod m20261201_000001_create_streets;
mod m20261201_000002_create_communities;
mod m20261201_000003_create_sport_items;
mod m20261201_000004_create_policy;
mod m20261202_000001_create_accounts;
mod m20261202_000002_create_audit_log;
mod m20261203_000001_create_mail;
mod m20261204_000001_create_people;
mod m20261205_000001_create_coverage;
mod m20261206_000001_create_service_sessions;
mod m20261207_000001_create_certificates;
mod m20261208_000001_create_training;
mod m20261209_000001_create_registrations;
mod m20261210_000001_create_request_throttle;
mod m20261211_000001_add_web_sessions;
mod m20261212_000001_create_import_uploads;
mod m20261213_000001_audit_chains;

/// A plain index over `columns` of `table`, in order.
pub(crate) fn index<C: IntoIden>(
    name: &str,
    table: impl IntoIden,
    columns: impl IntoIterator<Item = C>,
) -> IndexCreateStatement {
    let mut index = Index::create();
    index.name(name).table(table);
    for column in columns {
        index.col(column);
    }
    index.to_owned()
}

pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261201_000001_create_streets::Migration),
            Box::new(m20261201_000002_create_communities::Migration),
            Box::new(m20261201_000003_create_sport_items::Migration),
            Box::new(m20261201_000004_create_policy::Migration),
            Box::new(m20261202_000001_create_accounts::Migration),
            Box::new(m20261202_000002_create_audit_log::Migration),
            Box::new(m20261203_000001_create_mail::Migration),
            Box::new(m20261204_000001_create_people::Migration),
            Box::new(m20261205_000001_create_coverage::Migration),
            Box::new(m20261206_000001_create_service_sessions::Migration),
            Box::new(m20261207_000001_create_certificates::Migration),
            Box::new(m20261208_000001_create_training::Migration),
            Box::new(m20261209_000001_create_registrations::Migration),
            Box::new(m20261210_000001_create_request_throttle::Migration),
            Box::new(m20261211_000001_add_web_sessions::Migration),
            Box::new(m20261212_000001_create_import_uploads::Migration),
            Box::new(m20261213_000001_audit_chains::Migration),
        ]
    }
}
