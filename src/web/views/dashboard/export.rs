//! The dashboard's downloads: the audit of the chosen day (CSV, or XLSX with the trend as a last
//! sheet) and the trend alone.

use poem::{IntoResponse, Request, Response, handler, web::Query};

use super::{DayQuery, TREND_MONTHS, chosen_day, street_in_scope};
use crate::{
    api::files::{ExportFile, ExportFormat},
    error::AppError,
    services::{coverage, coverage_export, coverage_trend, spreadsheet},
    web::{
        session::{WebCaller, state},
        views::staff::require_staff,
    },
};

fn scope(who: &WebCaller, query: &DayQuery) -> Result<(chrono::NaiveDate, Option<i32>), AppError> {
    require_staff(who)?;
    let day = chosen_day(query.as_of.as_deref())
        .map_err(|_| AppError::invalid("as_of", "date.invalid", "is not a past date"))?;
    let asked = query
        .street_id
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|s| {
            s.parse::<i32>()
                .map_err(|_| AppError::invalid("street_id", "number.invalid", "is not a number"))
        })
        .transpose()?;
    Ok((day, street_in_scope(who, asked)?))
}

fn format_of(query: &DayQuery) -> ExportFormat {
    match query.format.as_deref() {
        Some("csv") => ExportFormat::Csv,
        _ => ExportFormat::Xlsx,
    }
}

/// `/coverage/export?format=csv|xlsx&as_of=&street_id=`.
#[handler]
pub async fn coverage_file(
    req: &Request,
    who: WebCaller,
    Query(query): Query<DayQuery>,
) -> poem::Result<Response> {
    let (day, street_id) = scope(&who, &query)?;
    let db = &state(req)?.db;
    let audit = coverage::audit(db, &who.caller, day, street_id).await?;
    let format = format_of(&query);
    let trend = match format {
        ExportFormat::Csv => None,
        ExportFormat::Xlsx => {
            Some(coverage_trend::trend(db, &who.caller, day, TREND_MONTHS, street_id).await?)
        }
    };
    Ok(ExportFile {
        body: coverage_export::file(audit, trend, format.into()).into(),
        format,
        name: format!("coverage-{day}"),
    }
    .into_response())
}

/// `/coverage/trend/export?format=csv|xlsx&as_of=&street_id=`: the month ends alone.
#[handler]
pub async fn trend_file(
    req: &Request,
    who: WebCaller,
    Query(query): Query<DayQuery>,
) -> poem::Result<Response> {
    let (day, street_id) = scope(&who, &query)?;
    let db = &state(req)?.db;
    let trend = coverage_trend::trend(db, &who.caller, day, TREND_MONTHS, street_id).await?;
    let rows = coverage_export::trend_rows(&trend);
    let format = format_of(&query);
    let bytes = match format {
        ExportFormat::Csv => spreadsheet::csv(&coverage_export::TREND_HEADERS, &rows)?,
        ExportFormat::Xlsx => spreadsheet::xlsx(&[spreadsheet::Sheet {
            name: "月度趋势",
            headers: &coverage_export::TREND_HEADERS,
            rows: &rows,
        }])?,
    };
    Ok(ExportFile {
        body: bytes.into(),
        format,
        name: format!("coverage-trend-{day}"),
    }
    .into_response())
}
