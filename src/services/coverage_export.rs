//! The coverage audit as files: CSV (one table, a `层级` column telling district, street and
//! community rows apart) or XLSX (a sheet per level). The CLI prints the same rows.

use super::{
    coverage::{CommunityCoverage, Coverage, Totals},
    coverage_trend::Trend,
    spreadsheet::{self, Sheet},
};
use crate::error::AppError;

const LEVEL_HEADERS: [&str; 15] = [
    "层级",
    "编号",
    "代码",
    "名称",
    "所属街道编号",
    "社区（村）数",
    "已配备数",
    "配备率",
    "是否配备",
    "专职管理员",
    "兼职管理员",
    "社会体育指导员",
    "全民健身志愿者",
    "科学健身指导员",
    "每千人指导员",
];

fn ratio(totals: &Totals) -> String {
    format!("{:.4}", totals.ratio)
}

/// Every row of the audit: the district, then each street, then each community.
pub fn rows(coverage: &Coverage) -> Vec<[String; 15]> {
    let mut rows = Vec::with_capacity(1 + coverage.streets.len() + coverage.communities.len());
    let d = &coverage.district;
    rows.push([
        "district".into(),
        String::new(),
        String::new(),
        "全区".into(),
        String::new(),
        d.communities.to_string(),
        d.covered.to_string(),
        ratio(d),
        String::new(),
        String::new(),
        String::new(),
        String::new(),
        String::new(),
        String::new(),
        String::new(),
    ]);
    for s in &coverage.streets {
        rows.push([
            "street".into(),
            s.id.to_string(),
            s.code.clone(),
            s.name.clone(),
            String::new(),
            s.totals.communities.to_string(),
            s.totals.covered.to_string(),
            ratio(&s.totals),
            String::new(),
            String::new(),
            String::new(),
            String::new(),
            String::new(),
            String::new(),
            String::new(),
        ]);
    }
    rows.extend(coverage.communities.iter().map(community_row));
    rows
}

fn community_row(c: &CommunityCoverage) -> [String; 15] {
    [
        "community".into(),
        c.id.to_string(),
        c.code.clone(),
        c.name.clone(),
        c.street_id.to_string(),
        "1".into(),
        u8::from(c.covered).to_string(),
        if c.covered { "1.0000" } else { "0.0000" }.into(),
        if c.covered { "是" } else { "否" }.into(),
        c.administrators_full_time.to_string(),
        c.administrators_part_time.to_string(),
        c.instructors.to_string(),
        c.volunteers.to_string(),
        c.scientific_instructors.to_string(),
        c.instructors_per_1000
            .map(|v| format!("{v:.2}"))
            .unwrap_or_default(),
    ]
}

pub fn csv(coverage: &Coverage) -> Result<Vec<u8>, AppError> {
    spreadsheet::csv(&LEVEL_HEADERS, &rows(coverage))
}

/// A workbook with a sheet per level; the level column is the sheet.
pub fn xlsx(coverage: &Coverage) -> Result<Vec<u8>, AppError> {
    xlsx_with_trend(coverage, None)
}

/// The same workbook, with the trend of the month ends as a last sheet when given.
pub fn xlsx_with_trend(coverage: &Coverage, trend: Option<&Trend>) -> Result<Vec<u8>, AppError> {
    let all = rows(coverage);
    let per_level: Vec<(&str, Vec<Vec<String>>)> = [
        ("district", "全区"),
        ("street", "街道（乡镇）"),
        ("community", "社区（村）"),
    ]
    .into_iter()
    .map(|(level, title)| {
        let rows = all
            .iter()
            .filter(|row| row[0] == level)
            .map(|row| row[1..].to_vec())
            .collect();
        (title, rows)
    })
    .collect();
    let mut sheets: Vec<Sheet<'_, Vec<String>>> = per_level
        .iter()
        .map(|(name, rows)| Sheet {
            name,
            headers: &LEVEL_HEADERS[1..],
            rows,
        })
        .collect();
    let trend_rows: Vec<Vec<String>> = trend
        .map(|t| trend_rows(t).into_iter().map(Vec::from).collect())
        .unwrap_or_default();
    if trend.is_some() {
        sheets.push(Sheet {
            name: "月度趋势",
            headers: &TREND_HEADERS,
            rows: &trend_rows,
        });
    }
    spreadsheet::xlsx(&sheets)
}

pub const TREND_HEADERS: [&str; 6] = [
    "月末日期",
    "范围",
    "代码",
    "社区（村）数",
    "已配备数",
    "配备率",
];

/// The trend, a row per month end and level: the district (or the street alone), then each
/// street.
pub fn trend_rows(trend: &Trend) -> Vec<[String; 6]> {
    let mut rows = Vec::new();
    for point in &trend.points {
        let day = point.day.to_string();
        if trend.streets.len() != 1 {
            rows.push([
                day.clone(),
                "全区".into(),
                String::new(),
                point.district.communities.to_string(),
                point.district.covered.to_string(),
                ratio(&point.district),
            ]);
        }
        for (street, totals) in trend.streets.iter().zip(&point.streets) {
            rows.push([
                day.clone(),
                street.name.clone(),
                street.code.clone(),
                totals.communities.to_string(),
                totals.covered.to_string(),
                ratio(totals),
            ]);
        }
    }
    rows
}

/// A plain-text table for the terminal.
pub fn table(coverage: &Coverage) -> String {
    let mut out = format!(
        "coverage on {}: {}/{} communities covered ({:.1}%)\n\n",
        coverage.as_of,
        coverage.district.covered,
        coverage.district.communities,
        coverage.district.ratio * 100.0
    );
    out.push_str(&format!(
        "{:<12} {:<16} {:>11} {:>8} {:>7}\n",
        "code", "street", "communities", "covered", "ratio"
    ));
    for s in &coverage.streets {
        out.push_str(&format!(
            "{:<12} {:<16} {:>11} {:>8} {:>6.1}%\n",
            s.code,
            s.name,
            s.totals.communities,
            s.totals.covered,
            s.totals.ratio * 100.0
        ));
    }
    let uncovered: Vec<&CommunityCoverage> =
        coverage.communities.iter().filter(|c| !c.covered).collect();
    if !uncovered.is_empty() {
        out.push_str("\nuncovered communities:\n");
        for c in uncovered {
            out.push_str(&format!("  {} {}\n", c.code, c.name));
        }
    }
    out
}
