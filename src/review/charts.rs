//! Charts for the HTML review, drawn with plotters' SVG backend. Each chart carries a title,
//! a description and a data table, so the figures are there for screen readers and print.

use std::collections::BTreeSet;

use plotters::prelude::*;

use super::{DELAY_BUCKETS, ReviewReport};

/// A rendered chart with its accessible text and data.
#[derive(Debug, Clone)]
pub struct Chart {
    /// Element id.
    pub id: &'static str,
    /// Title.
    pub title: String,
    /// What the chart shows, in words.
    pub description: String,
    /// Inline SVG markup.
    pub svg: String,
    /// Column headings of the data table.
    pub headers: Vec<String>,
    /// Rows of the data table.
    pub rows: Vec<Vec<String>>,
}

/// Okabe–Ito colours: distinguishable with the common colour-vision deficiencies.
const PALETTE: [RGBColor; 8] = [
    RGBColor(0, 114, 178),
    RGBColor(230, 159, 0),
    RGBColor(0, 158, 115),
    RGBColor(204, 121, 167),
    RGBColor(86, 180, 233),
    RGBColor(213, 94, 0),
    RGBColor(240, 228, 66),
    RGBColor(0, 0, 0),
];

const SIZE: (u32, u32) = (760, 340);

fn colour(i: usize) -> RGBColor {
    PALETTE[i % PALETTE.len()]
}

/// Adds role, title and description to plotters' SVG for assistive technology, and a viewBox
/// so the page can scale it to the card's width.
fn accessible(svg: String, id: &str, title: &str, desc: &str) -> String {
    let esc = super::html::escape;
    let head = format!(
        " viewBox=\"0 0 {} {}\" preserveAspectRatio=\"xMidYMid meet\" role=\"img\" aria-labelledby=\"{id}-title {id}-desc\"><title id=\"{id}-title\">{}</title><desc id=\"{id}-desc\">{}</desc>",
        SIZE.0,
        SIZE.1,
        esc(title),
        esc(desc)
    );
    match svg.find('>') {
        Some(i) => format!("{}{}{}", &svg[..i], head, &svg[i + 1..]),
        None => svg,
    }
}

/// Axis text size, in the SVG's own pixels (it is drawn at 760 wide and scaled to the card).
const AXIS_FONT: u32 = 15;

/// Draws bars, stacked per x position: `series[k][i]` is the height of series k at position i,
/// each bar centred on its label's tick. A value that is not a number (a period with nothing to
/// count) draws no bar: the data table shows it as "—".
fn stacked_bars(
    labels: &[String],
    names: &[String],
    series: &[Vec<f64>],
    (x_desc, y_desc): (&str, &str),
) -> String {
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, SIZE).into_drawing_area();
        let _ = root.fill(&WHITE);
        let n = labels.len().max(1);
        let top = (0..n)
            .map(|i| {
                series
                    .iter()
                    .map(|s| s.get(i).copied().filter(|v| v.is_finite()).unwrap_or(0.0))
                    .sum::<f64>()
            })
            .fold(0.0, f64::max)
            .max(1.0)
            // Headroom so the legend sits above the bars.
            * if names.len() > 1 { 1.6 } else { 1.1 };
        let Ok(mut chart) = ChartBuilder::on(&root)
            .margin(12)
            .x_label_area_size(52)
            .y_label_area_size(64)
            .build_cartesian_2d(-0.5f64..(n as f64 - 0.5), 0f64..top)
        else {
            return svg_fallback();
        };
        let fmt = |x: &f64| tick_label(labels, *x);
        let _ = chart
            .configure_mesh()
            .disable_x_mesh()
            .x_labels(n + 1)
            .x_label_formatter(&fmt)
            .label_style(("sans-serif", AXIS_FONT))
            .axis_desc_style(("sans-serif", AXIS_FONT))
            .y_desc(y_desc)
            .x_desc(x_desc)
            .draw();
        let mut base = vec![0.0; n];
        for (k, s) in series.iter().enumerate() {
            let c = colour(k);
            let bars: Vec<_> = (0..n)
                .filter_map(|i| {
                    let v = s.get(i).copied().filter(|v| v.is_finite())?;
                    let r = Rectangle::new(
                        [(i as f64 - 0.35, base[i]), (i as f64 + 0.35, base[i] + v)],
                        c.filled(),
                    );
                    base[i] += v;
                    Some(r)
                })
                .collect();
            if let Ok(a) = chart.draw_series(bars) {
                let name = names.get(k).cloned().unwrap_or_default();
                a.label(name).legend(move |(x, y)| {
                    Rectangle::new([(x, y - 5), (x + 10, y + 5)], c.filled())
                });
            }
        }
        if names.len() > 1 {
            let _ = chart
                .configure_series_labels()
                .background_style(WHITE.mix(0.85))
                .border_style(BLACK.mix(0.3))
                .position(SeriesLabelPosition::UpperLeft)
                .draw();
        }
        let _ = root.present();
    }
    svg
}

fn lines(labels: &[String], names: &[String], series: &[Vec<f64>], y_desc: &str) -> String {
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, SIZE).into_drawing_area();
        let _ = root.fill(&WHITE);
        let n = labels.len().max(1);
        let top = series
            .iter()
            .flatten()
            .copied()
            .filter(|v| v.is_finite())
            .fold(0.0, f64::max)
            .max(1.0)
            // Headroom so the legend (upper left) sits above the lines.
            * (1.15 + 0.12 * names.len() as f64);
        let Ok(mut chart) = ChartBuilder::on(&root)
            .margin(12)
            .x_label_area_size(52)
            .y_label_area_size(64)
            .build_cartesian_2d(-0.5f64..(n as f64 - 0.5), 0f64..top)
        else {
            return svg_fallback();
        };
        let fmt = |x: &f64| tick_label(labels, *x);
        let _ = chart
            .configure_mesh()
            .x_labels(n + 1)
            .x_label_formatter(&fmt)
            .label_style(("sans-serif", AXIS_FONT))
            .axis_desc_style(("sans-serif", AXIS_FONT))
            .y_desc(y_desc)
            .x_desc("Period")
            .draw();
        for (k, s) in series.iter().enumerate() {
            let c = colour(k);
            // A period with nothing to count (NaN) is a gap, not a zero.
            let points: Vec<(f64, f64)> = s
                .iter()
                .enumerate()
                .filter(|(_, v)| v.is_finite())
                .map(|(i, v)| (i as f64, *v))
                .collect();
            if let Ok(a) = chart.draw_series(LineSeries::new(points.clone(), c.stroke_width(2))) {
                let name = names.get(k).cloned().unwrap_or_default();
                a.label(name).legend(move |(x, y)| {
                    PathElement::new(vec![(x, y), (x + 14, y)], c.stroke_width(2))
                });
            }
            let _ = chart.draw_series(points.into_iter().map(|p| Circle::new(p, 3, c.filled())));
        }
        let _ = chart
            .configure_series_labels()
            .background_style(WHITE.mix(0.85))
            .border_style(BLACK.mix(0.3))
            .position(SeriesLabelPosition::UpperLeft)
            .draw();
        let _ = root.present();
    }
    svg
}

/// The label of the period at an integer x position (the bars' and points' centres), else none.
fn tick_label(labels: &[String], x: f64) -> String {
    let r = x.round();
    if (x - r).abs() < 1e-9 && r >= 0.0 {
        labels.get(r as usize).cloned().unwrap_or_default()
    } else {
        String::new()
    }
}

fn svg_fallback() -> String {
    "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"10\" height=\"10\"></svg>".into()
}

fn fmt(x: f64) -> String {
    if !x.is_finite() {
        "—".to_owned()
    } else if x.fract() == 0.0 {
        format!("{x:.0}")
    } else {
        format!("{x:.2}")
    }
}

fn table(
    labels: &[String],
    names: &[String],
    series: &[Vec<f64>],
) -> (Vec<String>, Vec<Vec<String>>) {
    let mut headers = vec!["Period".to_owned()];
    headers.extend(names.iter().cloned());
    let rows = labels
        .iter()
        .enumerate()
        .map(|(i, l)| {
            let mut row = vec![l.clone()];
            row.extend(series.iter().map(|s| fmt(s.get(i).copied().unwrap_or(0.0))));
            row
        })
        .collect();
    (headers, rows)
}

/// Every chart of the report.
pub fn chart_svgs(r: &ReviewReport) -> Vec<Chart> {
    let labels: Vec<String> = r.periods.iter().map(|p| p.stats.label.clone()).collect();
    let stats: Vec<_> = r.periods.iter().map(|p| &p.stats).collect();
    let mut charts = Vec::new();
    let mut push =
        |id, title: &str, description: String, svg: String, t: (Vec<String>, Vec<Vec<String>>)| {
            charts.push(Chart {
                id,
                title: title.to_owned(),
                svg: accessible(svg, id, title, &description),
                description,
                headers: t.0,
                rows: t.1,
            });
        };

    let categories: Vec<String> = crate::model::CategoryKind::ALL
        .iter()
        .map(|c| c.as_str().to_owned())
        .collect();
    let series: Vec<Vec<f64>> = categories
        .iter()
        .map(|c| {
            stats
                .iter()
                .map(|s| *s.by_category.get(c).unwrap_or(&0) as f64)
                .collect()
        })
        .collect();
    push(
        "chart-volume",
        "Disclosures per period, by category",
        format!(
            "Stacked bars: for each period, the number of disclosures in each of the six categories; {} disclosures in all.",
            r.total.stats.disclosures
        ),
        stacked_bars(&labels, &categories, &series, ("Period", "Disclosures")),
        table(&labels, &categories, &series),
    );

    let directions: Vec<String> = stats
        .iter()
        .flat_map(|s| s.by_direction.keys().cloned())
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    let series: Vec<Vec<f64>> = directions
        .iter()
        .map(|d| {
            stats
                .iter()
                .map(|s| *s.by_direction.get(d).unwrap_or(&0) as f64)
                .collect()
        })
        .collect();
    push(
        "chart-direction",
        "Disclosures per period, by direction",
        "Lines: for each direction (discloser → recipient), the number of disclosures in each period.".into(),
        lines(&labels, &directions, &series, "Disclosures"),
        table(&labels, &directions, &series),
    );

    let names = vec![
        "all".to_owned(),
        "routine".to_owned(),
        "case-by-case".to_owned(),
    ];
    let series = vec![
        stats
            .iter()
            .map(|s| s.notification.all.skipped_pct.unwrap_or(f64::NAN))
            .collect(),
        stats
            .iter()
            .map(|s| s.notification.routine.skipped_pct.unwrap_or(f64::NAN))
            .collect(),
        stats
            .iter()
            .map(|s| s.notification.case_by_case.skipped_pct.unwrap_or(f64::NAN))
            .collect(),
    ];
    push(
        "chart-notification",
        "Prior notification skipped (%)",
        "Lines: the percentage of disclosures made without prior notification of the service, for all disclosures, routine ones and case-by-case ones (statement §4).".into(),
        lines(&labels, &names, &series, "Skipped (%)"),
        table(&labels, &names, &series),
    );

    let names = vec!["flags per 100 disclosures".to_owned()];
    let series = vec![
        stats
            .iter()
            .map(|s| s.flags.per_100.unwrap_or(f64::NAN))
            .collect::<Vec<f64>>(),
    ];
    push(
        "chart-flags",
        "Policy flags per 100 disclosures",
        "Bars: policy flags raised on the period's disclosures for every 100 disclosures.".into(),
        stacked_bars(&labels, &names, &series, ("Period", "Flags per 100")),
        table(&labels, &names, &series),
    );

    let buckets: Vec<String> = DELAY_BUCKETS.iter().map(|(l, _)| (*l).to_owned()).collect();
    for (id, title, what, counts) in [
        (
            "chart-recording-delay",
            "Recording delay (disclosed → recorded)",
            "recording",
            &r.total.stats.recording_delay_buckets,
        ),
        (
            "chart-ack-delay",
            "Acknowledgement delay (recorded → acknowledged)",
            "acknowledgement",
            &r.total.stats.acknowledgement_delay_buckets,
        ),
    ] {
        let names = vec!["disclosures".to_owned()];
        let series = vec![counts.iter().map(|&n| n as f64).collect::<Vec<f64>>()];
        let svg = stacked_bars(&buckets, &names, &series, ("Delay", "Disclosures"));
        let (mut headers, rows) = table(&buckets, &names, &series);
        headers[0] = "Delay".into();
        push(
            id,
            title,
            format!("Bars: how many disclosures in the whole range had each {what} delay."),
            svg,
            (headers, rows),
        );
    }
    charts
}
