//! SVG figures (plotters): grouped bars and line panels, drawn from `results.json` records.

use std::path::Path;

use plotters::prelude::*;

/// One bar group: a label and (series name, value) bars.
/// One bar: implementation, value, and the whisker (the 95% interval of a median), if any.
pub type Bar = (String, f64, Option<(f64, f64)>);
/// A group of bars: case, bars.
pub type Group = (String, Vec<Bar>);

/// One line: a name and its points.
pub type Line = (String, Vec<(f64, f64)>);

const W: u32 = 960;
const H: u32 = 480;

fn err(e: impl std::fmt::Display) -> String {
    format!("cannot draw a figure: {e}")
}

/// Every implementation name the suites use, so a series keeps its colour in every figure.
const KNOWN: [&str; 17] = [
    "ontime",
    "rayon-core",
    "chili",
    "serial",
    "rayon",
    "ontime/single-use",
    "ontime/multiple-uses",
    "rayon-scope",
    "steal-first",
    "admit-first",
    "target-latency",
    "target-latency-reactive",
    "target-latency-predictive",
    "micropools",
    "single-pool",
    "ontime/single-use-seq",
    "ontime/multiple-uses-seq",
];

/// The colour of a series: fixed per known name, else by position in the figure.
pub fn colour(name: &str, names: &[String]) -> RGBColor {
    const P: [RGBColor; 17] = [
        RGBColor(31, 119, 180),
        RGBColor(214, 39, 40),
        RGBColor(44, 160, 44),
        RGBColor(127, 127, 127),
        RGBColor(255, 127, 14),
        RGBColor(31, 119, 180),
        RGBColor(23, 190, 207),
        RGBColor(214, 39, 40),
        RGBColor(140, 86, 75),
        RGBColor(255, 127, 14),
        RGBColor(44, 160, 44),
        RGBColor(255, 187, 120),
        RGBColor(31, 119, 180),
        RGBColor(148, 103, 189),
        RGBColor(214, 39, 40),
        RGBColor(188, 189, 34),
        RGBColor(227, 119, 194),
    ];
    match KNOWN.iter().position(|k| *k == name) {
        Some(i) => P[i],
        None => P[names.iter().position(|n| n == name).unwrap_or(0) % P.len()],
    }
}

/// Distinct series names, in order of first appearance.
fn series_names<'a>(all: impl Iterator<Item = &'a String>) -> Vec<String> {
    let mut names: Vec<String> = Vec::new();
    for n in all {
        if !names.contains(n) {
            names.push(n.clone());
        }
    }
    names
}

/// Grouped bars, one group per case; `log` draws the value axis in log10.
pub fn bars(
    path: &Path,
    title: &str,
    y_label: &str,
    groups: &[Group],
    log: bool,
) -> Result<(), String> {
    let names = series_names(groups.iter().flat_map(|(_, s)| s.iter().map(|(n, _, _)| n)));
    let max = groups
        .iter()
        .flat_map(|(_, b)| b.iter().map(|x| x.2.map_or(x.1, |w| w.1.max(x.1))))
        .fold(0f64, f64::max)
        .max(1e-9);
    let min_pos = groups
        .iter()
        .flat_map(|(_, b)| b.iter().map(|x| x.1))
        .filter(|v| *v > 0.0)
        .fold(f64::MAX, f64::min);
    let tr = |v: f64| if log { v.max(min_pos / 2.0).log10() } else { v };
    let (lo, hi) = if log {
        ((min_pos / 2.0).log10().floor(), max.log10().ceil() + 0.05)
    } else {
        (0.0, max * 1.15)
    };
    let root = SVGBackend::new(path, (W, H)).into_drawing_area();
    root.fill(&WHITE).map_err(err)?;
    let k = names.len().max(1) as f64;
    let n = groups.len().max(1);
    let mut chart = ChartBuilder::on(&root)
        .caption(title, ("sans-serif", 20))
        .margin(12)
        .x_label_area_size(50)
        .y_label_area_size(70)
        .build_cartesian_2d(0f64..n as f64, lo..hi)
        .map_err(err)?;
    let labels: Vec<String> = groups.iter().map(|g| g.0.clone()).collect();
    chart
        .configure_mesh()
        .disable_x_mesh()
        .x_labels(n * 2 + 1)
        .x_label_formatter(&|x| {
            let i = x.floor() as usize;
            if (x - x.floor() - 0.5).abs() < 0.01 && i < labels.len() {
                labels[i].clone()
            } else {
                String::new()
            }
        })
        .y_desc(if log {
            format!("{y_label} (log10)")
        } else {
            y_label.to_string()
        })
        .y_label_formatter(&|y| {
            if log {
                let v = 10f64.powf(*y);
                if v >= 100.0 {
                    format!("{v:.0}")
                } else {
                    format!("{v:.2}")
                }
            } else {
                format!("{y:.2}")
            }
        })
        .draw()
        .map_err(err)?;
    for (si, name) in names.iter().enumerate() {
        let c = colour(name, &names);
        let width = 0.8 / k;
        let rects: Vec<_> = groups
            .iter()
            .enumerate()
            .filter_map(|(gi, (_, bars))| {
                let v = bars.iter().find(|(n, _, _)| n == name)?.1;
                let x0 = gi as f64 + 0.1 + si as f64 * width;
                Some(Rectangle::new(
                    [(x0, lo), (x0 + width * 0.92, tr(v))],
                    c.filled(),
                ))
            })
            .collect();
        chart
            .draw_series(rects)
            .map_err(err)?
            .label(name.as_str())
            .legend(move |(x, y)| Rectangle::new([(x, y - 5), (x + 12, y + 5)], c.filled()));
        // Whiskers: the 95% interval of each median, a vertical line with caps.
        let whiskers: Vec<_> = groups
            .iter()
            .enumerate()
            .filter_map(|(gi, (_, bars))| {
                let (wlo, whi) = bars.iter().find(|(n, _, _)| n == name)?.2?;
                let x0 = gi as f64 + 0.1 + si as f64 * width;
                let (xm, cap) = (x0 + width * 0.46, width * 0.2);
                Some(PathElement::new(
                    vec![
                        (xm - cap, tr(wlo)),
                        (xm + cap, tr(wlo)),
                        (xm, tr(wlo)),
                        (xm, tr(whi)),
                        (xm - cap, tr(whi)),
                        (xm + cap, tr(whi)),
                    ],
                    BLACK.stroke_width(1),
                ))
            })
            .collect();
        chart.draw_series(whiskers).map_err(err)?;
    }
    chart
        .configure_series_labels()
        .background_style(WHITE.mix(0.85))
        .border_style(BLACK)
        .position(SeriesLabelPosition::UpperRight)
        .draw()
        .map_err(err)?;
    root.present().map_err(err)
}

/// Side-by-side line panels sharing a legend: (panel title, lines).
pub fn line_panels(
    path: &Path,
    title: &str,
    x_label: &str,
    y_label: &str,
    panels: &[(String, Vec<Line>)],
    log_y: bool,
) -> Result<(), String> {
    let names = series_names(panels.iter().flat_map(|(_, s)| s.iter().map(|(n, _)| n)));
    let root = SVGBackend::new(path, (W, H)).into_drawing_area();
    root.fill(&WHITE).map_err(err)?;
    let root = root.titled(title, ("sans-serif", 20)).map_err(err)?;
    let areas = root.split_evenly((1, panels.len().max(1)));
    for (area, (ptitle, lines)) in areas.iter().zip(panels) {
        let pts = lines.iter().flat_map(|l| l.1.iter());
        let (mut x0, mut x1, mut y1) = (f64::MAX, f64::MIN, 0f64);
        let mut y0 = f64::MAX;
        for &(x, y) in pts {
            x0 = x0.min(x);
            x1 = x1.max(x);
            y1 = y1.max(y);
            if y > 0.0 {
                y0 = y0.min(y);
            }
        }
        if x0 > x1 {
            (x0, x1) = (0.0, 1.0);
        }
        if x0 == x1 {
            x1 = x0 + 1.0;
        }
        let tr = |y: f64| if log_y { y.max(y0 / 2.0).log10() } else { y };
        let (lo, hi) = if log_y {
            ((y0 / 2.0).log10(), y1.max(y0).log10() + 0.1)
        } else {
            (0.0, (y1 * 1.1).max(1e-9))
        };
        let mut chart = ChartBuilder::on(area)
            .caption(ptitle, ("sans-serif", 15))
            .margin(8)
            .x_label_area_size(40)
            .y_label_area_size(55)
            .build_cartesian_2d(x0..x1, lo..hi)
            .map_err(err)?;
        chart
            .configure_mesh()
            .x_desc(x_label)
            .y_desc(y_label)
            .y_label_formatter(&|y| {
                if log_y {
                    format!("{:.2e}", 10f64.powf(*y))
                } else {
                    format!("{y:.2}")
                }
            })
            .draw()
            .map_err(err)?;
        for (name, pts) in lines {
            let c = colour(name, &names);
            chart
                .draw_series(LineSeries::new(
                    pts.iter().map(|&(x, y)| (x, tr(y))),
                    c.stroke_width(2),
                ))
                .map_err(err)?
                .label(name.as_str())
                .legend(move |(x, y)| {
                    PathElement::new(vec![(x, y), (x + 16, y)], c.stroke_width(2))
                });
            chart
                .draw_series(
                    pts.iter()
                        .map(|&(x, y)| Circle::new((x, tr(y)), 3, c.filled())),
                )
                .map_err(err)?;
        }
        chart
            .configure_series_labels()
            .background_style(WHITE.mix(0.85))
            .border_style(BLACK)
            .label_font(("sans-serif", 11))
            .position(SeriesLabelPosition::UpperLeft)
            .draw()
            .map_err(err)?;
    }
    root.present().map_err(err)
}
