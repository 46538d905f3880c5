//! The coverage audit as files: CSV (one table, a `层级` column telling district, street and
//! community rows apart) or XLSX (a sheet per level). The CLI prints the same rows.

use super::{
    coverage::{CommunityCoverage, Coverage, Totals},
    coverage_trend::Trend,
    spreadsheet::{self, Kind, SheetSpec, StreamError},
};
use crate::error::AppError;

static LEVEL_HEADERS: [&str; 15] = [
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

/// Every row of the audit, made as it is wanted: the district, then each street, then each
/// community.
pub fn rows(coverage: &Coverage) -> impl Iterator<Item = [String; 15]> + '_ {
    let d = &coverage.district;
    let district = [
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
    ];
    let streets = coverage.streets.iter().map(|s| {
        [
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
        ]
    });
    std::iter::once(district)
        .chain(streets)
        .chain(coverage.communities.iter().map(community_row))
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

/// The audit as CSV, made whole (for the command line).
pub fn csv(coverage: &Coverage) -> Result<Vec<u8>, AppError> {
    spreadsheet::csv(&LEVEL_HEADERS, &rows(coverage).collect::<Vec<_>>())
}

/// The sheets of the workbook, by level: the level column is the sheet.
const LEVEL_SHEETS: [(&str, &str); 3] = [
    ("district", "全区"),
    ("street", "街道（乡镇）"),
    ("community", "社区（村）"),
];

/// The audit as a file streamed while it is written: CSV (one table) or XLSX (a sheet per level,
/// and the trend of the month ends as a last sheet when given).
pub fn file(coverage: Coverage, trend: Option<Trend>, kind: Kind) -> spreadsheet::FileStream {
    let sheets = match kind {
        Kind::Csv => vec![SheetSpec {
            name: "",
            headers: &LEVEL_HEADERS,
        }],
        Kind::Xlsx => LEVEL_SHEETS
            .iter()
            .map(|(_, name)| SheetSpec {
                name,
                headers: &LEVEL_HEADERS[1..],
            })
            .chain(trend.is_some().then_some(SheetSpec {
                name: "月度趋势",
                headers: &TREND_HEADERS,
            }))
            .collect(),
    };
    spreadsheet::streamed(kind, sheets, move |mut sink| async move {
        for row in rows(&coverage) {
            if kind == Kind::Csv {
                sink.push(0, row.into()).await?;
                continue;
            }
            let sheet = LEVEL_SHEETS
                .iter()
                .position(|(level, _)| *level == row[0])
                .unwrap_or(LEVEL_SHEETS.len() - 1);
            sink.push(sheet, row[1..].to_vec()).await?;
        }
        if let (Some(trend), Kind::Xlsx) = (&trend, kind) {
            for row in trend_rows(trend) {
                sink.push(LEVEL_SHEETS.len(), row.into()).await?;
            }
        }
        Ok::<_, StreamError>(sink)
    })
}

pub static TREND_HEADERS: [&str; 6] = [
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
