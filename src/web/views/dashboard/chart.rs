//! The trend chart, drawn on the server as SVG: the district's ratio at each month's end as a bold
//! line, each street's as a thin one (while there are few enough streets to tell apart), on a
//! fixed 0–100% scale with the 100% target marked. No script, no style attribute: the colours are
//! classes of the stylesheet.

use crate::services::coverage_trend::Trend;

/// The most street lines one chart draws; beyond that only the district's line is drawn and each
/// street's trend is on its own page.
pub const MOST_LINES: usize = 12;

const WIDTH: f64 = 720.0;
const HEIGHT: f64 = 280.0;
const LEFT: f64 = 44.0;
const RIGHT: f64 = 36.0;
const TOP: f64 = 14.0;
const BOTTOM: f64 = 36.0;

pub struct Line {
    pub label: String,
    /// `x,y x,y ...` for the polyline.
    pub points: String,
    /// The stylesheet class of its colour.
    pub class: String,
}

pub struct Tick {
    pub at: String,
    pub label: String,
}

pub struct Chart {
    pub width: f64,
    pub height: f64,
    pub left: f64,
    pub right_edge: f64,
    /// Where the axes' labels stand.
    pub y_label_x: f64,
    pub x_label_y: f64,
    pub y_ticks: Vec<Tick>,
    pub x_ticks: Vec<Tick>,
    pub lines: Vec<Line>,
    /// The text alternative: first and last month and the district's ratios then.
    pub summary: String,
}

fn x_of(n: usize, count: usize) -> f64 {
    let span = WIDTH - LEFT - RIGHT;
    if count <= 1 {
        LEFT + span / 2.0
    } else {
        LEFT + span * n as f64 / (count - 1) as f64
    }
}

fn y_of(ratio: f64) -> f64 {
    let span = HEIGHT - TOP - BOTTOM;
    TOP + span * (1.0 - ratio.clamp(0.0, 1.0))
}

fn polyline(ratios: impl Iterator<Item = f64>, count: usize) -> String {
    ratios
        .enumerate()
        .map(|(n, r)| format!("{:.1},{:.1}", x_of(n, count), y_of(r)))
        .collect::<Vec<_>>()
        .join(" ")
}

/// The chart of a trend. `district_label` names the whole line (全区 or the street's name).
pub fn draw(trend: &Trend, district_label: &str) -> Chart {
    let count = trend.points.len();
    let mut lines = Vec::new();
    if trend.streets.len() > 1 && trend.streets.len() <= MOST_LINES {
        for (i, street) in trend.streets.iter().enumerate() {
            lines.push(Line {
                label: street.name.clone(),
                points: polyline(trend.points.iter().map(|p| p.streets[i].ratio), count),
                class: format!("trend-line trend-s{i}"),
            });
        }
    }
    // Drawn last, so it lies on top.
    lines.push(Line {
        label: district_label.to_owned(),
        points: polyline(trend.points.iter().map(|p| p.district.ratio), count),
        class: "trend-line trend-district".to_owned(),
    });
    let y_ticks = [0.0, 0.25, 0.5, 0.75, 1.0]
        .into_iter()
        .map(|r| Tick {
            at: format!("{:.1}", y_of(r)),
            label: format!("{}%", (r * 100.0) as u32),
        })
        .collect();
    let x_ticks = trend
        .points
        .iter()
        .enumerate()
        .filter(|(n, _)| (count - 1 - n).is_multiple_of(3))
        .map(|(n, p)| Tick {
            at: format!("{:.1}", x_of(n, count)),
            label: p.day.format("%Y-%m").to_string(),
        })
        .collect();
    let percent = |r: f64| format!("{:.1}%", r * 100.0);
    let first_point = trend.points.first().map(|p| {
        (
            p.day.format("%Y年%-m月").to_string(),
            percent(p.district.ratio),
        )
    });
    let last_point = trend.points.last().map(|p| {
        (
            p.day.format("%Y年%-m月").to_string(),
            percent(p.district.ratio),
        )
    });
    let summary = match (&first_point, &last_point) {
        (Some((from, a)), Some((to, b))) => {
            format!("{district_label}月末覆盖率：{from} {a}，{to} {b}")
        }
        _ => "没有可显示的月份".to_owned(),
    };
    Chart {
        width: WIDTH,
        height: HEIGHT,
        left: LEFT,
        right_edge: WIDTH - RIGHT,
        y_label_x: LEFT - 6.0,
        x_label_y: HEIGHT - BOTTOM + 20.0,
        y_ticks,
        x_ticks,
        lines,
        summary,
    }
}
