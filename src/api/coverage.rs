//! `/coverage`: is every community staffed with a sports administrator, today or on any past day.

use chrono::NaiveDate;
use poem_openapi::{Object, OpenApi, param::Query, payload::Json};

use super::{
    ApiTags,
    auth::BearerAuth,
    files::{ExportFile, ExportFormat},
    json::JsonReport,
};
use crate::{
    app::AppState,
    domain::time::today,
    error::AppError,
    services::{
        coverage::{self, CommunityCoverage, Totals},
        coverage_alerts, coverage_export,
    },
};

pub struct CoverageApi {
    state: AppState,
}

impl CoverageApi {
    pub fn new(state: &AppState) -> Self {
        Self {
            state: state.clone(),
        }
    }
}

/// Communities counted, covered, and the share covered.
#[derive(Debug, Object, serde::Serialize)]
pub struct CoverageTotals {
    pub communities: u64,
    pub covered: u64,
    /// `covered / communities` (1 when there is no community).
    pub ratio: f64,
}

impl From<&Totals> for CoverageTotals {
    fn from(t: &Totals) -> Self {
        Self {
            communities: t.communities,
            covered: t.covered,
            ratio: t.ratio,
        }
    }
}

#[derive(Debug, Object, serde::Serialize)]
pub struct StreetCoverage {
    pub id: i32,
    pub code: String,
    pub name: String,
    pub communities: u64,
    pub covered: u64,
    pub ratio: f64,
}

/// Administrators in force, by employment.
#[derive(Debug, Object, serde::Serialize)]
pub struct Administrators {
    pub full_time: i64,
    pub part_time: i64,
}

#[derive(Debug, Object, serde::Serialize)]
pub struct CommunityCoverageItem {
    pub id: i32,
    pub code: String,
    pub name: String,
    pub street_id: i32,
    pub administrators: Administrators,
    /// Social sports instructors assigned there that day.
    pub instructors: i64,
    pub volunteers: i64,
    pub scientific_instructors: i64,
    /// At least one administrator assignment in force that day.
    pub covered: bool,
    pub population: Option<i32>,
    /// Instructors per 1,000 residents, where the population is known.
    pub instructors_per_1000: Option<f64>,
}

impl From<CommunityCoverage> for CommunityCoverageItem {
    fn from(c: CommunityCoverage) -> Self {
        Self {
            id: c.id,
            code: c.code,
            name: c.name,
            street_id: c.street_id,
            administrators: Administrators {
                full_time: c.administrators_full_time,
                part_time: c.administrators_part_time,
            },
            instructors: c.instructors,
            volunteers: c.volunteers,
            scientific_instructors: c.scientific_instructors,
            covered: c.covered,
            population: c.population,
            instructors_per_1000: c.instructors_per_1000,
        }
    }
}

/// The audit of one day.
#[derive(Debug, Object, serde::Serialize)]
pub struct CoverageReport {
    pub as_of: NaiveDate,
    pub district: CoverageTotals,
    pub streets: Vec<StreetCoverage>,
    pub communities: Vec<CommunityCoverageItem>,
    /// The policy target for instructors per 1,000 residents.
    pub instructors_per_1000_target: f64,
}

#[derive(Debug, Object, serde::Serialize)]
pub struct GapItem {
    pub id: i32,
    pub code: String,
    pub name: String,
    pub street_id: i32,
    /// The day its last administrator assignment ended; null if it never had one.
    pub uncovered_since: Option<NaiveDate>,
    /// How many days the gap has lasted on `as_of`.
    pub days: Option<i64>,
}

#[derive(Debug, Object, serde::Serialize)]
pub struct GapsReport {
    pub as_of: NaiveDate,
    pub total: usize,
    pub items: Vec<GapItem>,
}

#[derive(Debug, Object, serde::Serialize)]
pub struct AtRiskItem {
    pub id: i32,
    pub code: String,
    pub name: String,
    pub street_id: i32,
    /// The first day without an administrator.
    pub uncovered_from: NaiveDate,
    pub days_left: i64,
}

#[derive(Debug, Object, serde::Serialize)]
pub struct AtRiskReport {
    pub as_of: NaiveDate,
    pub within_days: u32,
    pub total: usize,
    pub items: Vec<AtRiskItem>,
}

#[derive(Debug, Object)]
pub struct AlertReport {
    /// Streets with uncovered or at-risk communities.
    pub streets: usize,
    /// Mails queued, one per street officer with an address.
    pub mails: usize,
}

fn day(as_of: Option<NaiveDate>) -> Result<NaiveDate, AppError> {
    let today = today();
    match super::params::day("as_of", as_of)? {
        Some(day) if day > today => Err(AppError::invalid(
            "as_of",
            "date.in_future",
            "must not be in the future",
        )),
        Some(day) => Ok(day),
        None => Ok(today),
    }
}

#[OpenApi(tag = "ApiTags::Coverage")]
impl CoverageApi {
    /// Coverage audit
    ///
    /// On `as_of` (default today, UTC+08:00; any past day answers what was true then): per
    /// community the administrators, instructors and volunteers in force, per street and for the
    /// district the communities covered. Inactive communities are left out. Officers see their street.
    #[oai(path = "/coverage", method = "get", operation_id = "get_coverage")]
    async fn coverage(
        &self,
        auth: BearerAuth,
        as_of: Query<Option<NaiveDate>>,
        street_id: Query<Option<i32>>,
    ) -> Result<JsonReport<CoverageReport>, AppError> {
        let report = coverage::audit(&self.state.db, &auth.0, day(as_of.0)?, street_id.0).await?;
        Ok(JsonReport(CoverageReport {
            as_of: report.as_of,
            district: (&report.district).into(),
            streets: report
                .streets
                .iter()
                .map(|s| StreetCoverage {
                    id: s.id,
                    code: s.code.clone(),
                    name: s.name.clone(),
                    communities: s.totals.communities,
                    covered: s.totals.covered,
                    ratio: s.totals.ratio,
                })
                .collect(),
            communities: report.communities.into_iter().map(Into::into).collect(),
            instructors_per_1000_target: report.instructors_per_1000_target,
        }))
    }

    /// Uncovered communities
    ///
    /// With the day each gap began and how long it has lasted.
    #[oai(
        path = "/coverage/gaps",
        method = "get",
        operation_id = "get_coverage_gaps"
    )]
    async fn gaps(
        &self,
        auth: BearerAuth,
        as_of: Query<Option<NaiveDate>>,
        street_id: Query<Option<i32>>,
    ) -> Result<JsonReport<GapsReport>, AppError> {
        let as_of = day(as_of.0)?;
        let gaps = coverage::gaps(&self.state.db, &auth.0, as_of, street_id.0).await?;
        let items: Vec<GapItem> = gaps
            .into_iter()
            .map(|g| GapItem {
                id: g.community.id,
                code: g.community.code,
                name: g.community.name,
                street_id: g.community.street_id,
                uncovered_since: g.uncovered_since,
                days: g.days,
            })
            .collect();
        Ok(JsonReport(GapsReport {
            as_of,
            total: items.len(),
            items,
        }))
    }

    /// Communities about to lose their administrator
    ///
    /// Covered today, but not within `within_days` because their administrator assignments end.
    #[oai(
        path = "/coverage/at-risk",
        method = "get",
        operation_id = "get_coverage_at_risk"
    )]
    async fn at_risk(
        &self,
        auth: BearerAuth,
        /// How far ahead to look, 1 to 366 days (default 30).
        #[oai(validator(minimum(value = "1"), maximum(value = "366")))]
        within_days: Query<Option<u32>>,
        street_id: Query<Option<i32>>,
    ) -> Result<JsonReport<AtRiskReport>, AppError> {
        let within_days = within_days.0.unwrap_or(coverage_alerts::AT_RISK_DAYS);
        let risks = coverage::at_risk(&self.state.db, &auth.0, within_days, street_id.0).await?;
        let items: Vec<AtRiskItem> = risks
            .into_iter()
            .map(|r| AtRiskItem {
                id: r.community.id,
                code: r.community.code,
                name: r.community.name,
                street_id: r.community.street_id,
                uncovered_from: r.uncovered_from,
                days_left: r.days_left,
            })
            .collect();
        Ok(JsonReport(AtRiskReport {
            as_of: today(),
            within_days,
            total: items.len(),
            items,
        }))
    }

    /// Export the coverage audit
    ///
    /// CSV (one table; the `层级` column tells district, street and community rows apart) or XLSX
    /// (a sheet per level).
    #[oai(
        path = "/coverage/export",
        method = "get",
        operation_id = "export_coverage"
    )]
    async fn export(
        &self,
        auth: BearerAuth,
        /// `csv` (default) or `xlsx`.
        format: Query<Option<ExportFormat>>,
        as_of: Query<Option<NaiveDate>>,
        street_id: Query<Option<i32>>,
    ) -> Result<ExportFile, AppError> {
        let report = coverage::audit(&self.state.db, &auth.0, day(as_of.0)?, street_id.0).await?;
        let format = format.0.unwrap_or(ExportFormat::Csv);
        Ok(ExportFile {
            body: coverage_export::file(report, None, format.into()).into(),
            format,
            name: "coverage".into(),
        })
    }

    /// Mail the coverage alerts now
    ///
    /// Bureau only: every street officer with an address gets one mail listing its street's
    /// uncovered and at-risk (30 days) communities. `FITREG_ALERT_AT` runs the same daily.
    #[oai(
        path = "/coverage/alerts",
        method = "post",
        operation_id = "send_coverage_alerts"
    )]
    async fn alerts(&self, auth: BearerAuth) -> Result<Json<AlertReport>, AppError> {
        let run = coverage_alerts::send(&self.state.db, &auth.0).await?;
        Ok(Json(AlertReport {
            streets: run.streets,
            mails: run.mails,
        }))
    }
}
