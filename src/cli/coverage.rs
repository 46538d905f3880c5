//! `fitreg coverage`: the coverage audit on the terminal, as CSV or as JSON, from the same service
//! code as `GET /api/v1/coverage`.

use anyhow::Context;
use chrono::NaiveDate;
use clap::ValueEnum;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};

use crate::{
    auth::Caller,
    config::Config,
    domain::time::today,
    entities::street,
    services::{coverage, coverage_export},
};

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum OutputFormat {
    Table,
    Csv,
    Json,
}

pub async fn run(
    config: &Config,
    as_of: Option<NaiveDate>,
    street: Option<String>,
    format: OutputFormat,
) -> anyhow::Result<()> {
    let db = super::open_prepared(&config.database_url).await?;
    let street_id = match street {
        Some(code) => Some(
            street::Entity::find()
                .filter(street::Column::Code.eq(code.as_str()))
                .one(&db)
                .await?
                .with_context(|| format!("no street has code {code}"))?
                .id,
        ),
        None => None,
    };
    let report = coverage::audit(
        &db,
        &Caller::system(),
        as_of.unwrap_or_else(today),
        street_id,
    )
    .await
    .map_err(|e| anyhow::anyhow!("{e}"))?;
    match format {
        OutputFormat::Table => print!("{}", coverage_export::table(&report)),
        OutputFormat::Csv => {
            let bytes = coverage_export::csv(&report).map_err(|e| anyhow::anyhow!("{e}"))?;
            print!(
                "{}",
                String::from_utf8_lossy(&bytes).trim_start_matches('\u{feff}')
            );
        }
        OutputFormat::Json => println!("{}", serde_json::to_string_pretty(&report)?),
    }
    Ok(())
}
