//! The command line: `serve` and the operator subcommands.

mod account;
mod coverage;
mod outbox;
mod serve;

use std::path::PathBuf;

use anyhow::Context;
use clap::{Parser, Subcommand};

use crate::{config::Config, db, services};

#[derive(Debug, Parser)]
#[command(
    name = "fitreg",
    version,
    about = "Registry of a district's sports workforce"
)]
pub struct Cli {
    #[command(flatten)]
    pub config: Config,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Start the HTTP service (migrates and seeds a fresh database first).
    Serve,
    /// Apply pending database migrations.
    Migrate,
    /// Load the seed data (upsert by code: running it twice changes nothing).
    Seed {
        /// Load streets.csv and communities.csv from this folder instead of the Yufeng set.
        #[arg(long, value_name = "DIR")]
        regions: Option<PathBuf>,
    },
    /// Manage accounts from scripts.
    #[command(subcommand)]
    Account(account::AccountCommand),
    /// Print the coverage audit: is every community staffed with an administrator.
    Coverage {
        /// The day to audit (YYYY-MM-DD); default today (UTC+08:00).
        #[arg(long)]
        as_of: Option<chrono::NaiveDate>,
        /// Only this street (its 9-digit code).
        #[arg(long, value_name = "CODE")]
        street: Option<String>,
        #[arg(long, value_enum, default_value = "table")]
        format: coverage::OutputFormat,
    },
    /// Show the mail that has not been delivered (pending or given up).
    Outbox,
    /// Write a consistent copy of the SQLite database while the server keeps serving.
    Backup {
        /// Where to write the copy; must not exist yet.
        file: PathBuf,
    },
}

/// Opens the database, applies migrations and seeds it when it is fresh.
pub(crate) async fn open_prepared(url: &str) -> anyhow::Result<sea_orm::DatabaseConnection> {
    let db = db::connect(url).await?;
    db::migrate(&db).await.context("migration failed")?;
    if services::seed::is_fresh(&db).await? {
        let report = services::seed::run(&db, None)
            .await
            .context("seeding failed")?;
        tracing::info!(%report, "seeded a fresh database");
    }
    Ok(db)
}

impl Cli {
    pub async fn run(self) -> anyhow::Result<()> {
        let config = self.config;
        match self.command {
            Command::Serve => serve::run(config).await,
            Command::Migrate => {
                let db = db::connect(&config.database_url).await?;
                db::migrate(&db).await.context("migration failed")?;
                println!("migrations applied");
                Ok(())
            }
            Command::Seed { regions } => {
                let regions = regions
                    .as_deref()
                    .map(services::seed::RegionSet::from_dir)
                    .transpose()?;
                let db = db::connect(&config.database_url).await?;
                db::migrate(&db).await.context("migration failed")?;
                let report = services::seed::run(&db, regions.as_ref()).await?;
                println!("{report}");
                Ok(())
            }
            Command::Account(command) => command.run(&config).await,
            Command::Outbox => outbox::run(&config).await,
            Command::Coverage {
                as_of,
                street,
                format,
            } => coverage::run(&config, as_of, street, format).await,
            Command::Backup { file } => {
                let db = db::connect(&config.database_url).await?;
                services::backup::backup(&db, &file).await?;
                println!("backup written to {}", file.display());
                Ok(())
            }
        }
    }
}
