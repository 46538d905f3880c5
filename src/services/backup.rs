//! Online backup of the SQLite database: `VACUUM INTO` writes a consistent snapshot while other
//! connections keep reading and writing.

use std::path::Path;

use anyhow::{Context, bail};
use sea_orm::{ConnectionTrait, DatabaseConnection, DbBackend, Statement};

/// Writes a consistent copy of the database to `target`, which must not exist yet.
pub async fn backup(db: &DatabaseConnection, target: &Path) -> anyhow::Result<()> {
    match db.get_database_backend() {
        DbBackend::Sqlite => {}
        DbBackend::Postgres => bail!(
            "fitreg backup copies SQLite databases only; back up PostgreSQL with pg_dump, e.g. \
             `pg_dump --format=custom --file=fitreg.dump \"$FITREG_DATABASE_URL\"`"
        ),
        other => bail!("backup is not supported on {other:?}"),
    }
    if target.exists() {
        bail!(
            "{} already exists; refusing to overwrite it",
            target.display()
        );
    }
    let path = target
        .to_str()
        .with_context(|| format!("{} is not valid UTF-8", target.display()))?;
    db.execute_raw(Statement::from_sql_and_values(
        DbBackend::Sqlite,
        "VACUUM INTO ?",
        [path.into()],
    ))
    .await
    .with_context(|| format!("cannot write backup to {}", target.display()))?;
    Ok(())
}
