//! The ROC curve with a log-scale false-positive rate, where thresholds live: a 1 % FPR sits a third of the way
//! across instead of squeezed against the axis. A rate of exactly 0 is drawn on the left edge.

use super::frame::{self, Tick};
use super::legend::{Entry, Legend, Rect, Swatch};
use super::scale::{format_number, format_percent, format_rate, ticks, Linear, Log10};
use super::svg::{attribute, Svg};
use super::{Figure, BLUE, MARKER_COLORS};
use ipinsights_engine::metrics::ThresholdStats;

/// Draws the ROC figure: the curve, each chosen operating point as a dot, its threshold, FPR and recall in the
/// legend.
pub fn draw(points: &[ThresholdStats], auc: f64, chosen: &[(&str, ThresholdStats)]) -> Figure {
    let title = format!("ROC curve (AUC = {auc:.4})");
    let low = lowest_decade(points, chosen);
    let legend = legend_for(chosen);
    let (legend_w, legend_h) = legend.size();

    let y_values = ticks(0.0, 1.0, 0.2);
    let provisional: Vec<Tick> = y_values.iter().map(|&v| (0.0, format_percent(v))).collect();
    let area = frame::plot_area(&provisional);
    let x_scale = Log10 { domain: (low, 1.0), range: (area.x, area.x + area.w) };
    let y_scale = Linear { domain: (0.0, 1.0), range: (area.y + area.h, area.y) };
    let to_px = |p: &ThresholdStats| (x_scale.px(p.false_positive_rate), y_scale.px(p.recall));
    let curve: Vec<(f64, f64)> = points.iter().map(to_px).collect();
    let dots: Vec<(f64, f64)> = chosen.iter().map(|(_, p)| to_px(p)).collect();
    let (legend_at, below) = match legend_corner(area, (legend_w, legend_h), &curve, &dots) {
        Some(at) => (at, 0.0),
        None => (frame::legend_below(area), legend_h),
    };

    let x_ticks: Vec<Tick> = x_scale.decades().into_iter().map(|v| (x_scale.px(v), format_percent(v))).collect();
    let y_ticks: Vec<Tick> = y_values.iter().map(|&v| (y_scale.px(v), format_percent(v))).collect();
    let mut svg = Svg::new(frame::WIDTH.max(legend_at.0 + legend_w + 8.0), frame::canvas_height(below));
    frame::draw(
        &mut svg,
        area,
        &title,
        "False-positive rate: share of normal events flagged (log scale)",
        "Recall: share of attacks flagged",
        &x_ticks,
        &y_ticks,
    );
    svg.group(&format!("class=\"series\" data-label=\"IP Insights\" data-count=\"{}\"", points.len()));
    svg.polyline(&curve, &format!("stroke=\"{}\" stroke-width=\"2\"", BLUE.hex()));
    svg.end_group();
    draw_points(&mut svg, chosen, &dots);
    legend.draw(&mut svg, legend_at.0, legend_at.1);
    Figure::new(&title, svg.finish(&title), Some(Rect { x: legend_at.0, y: legend_at.1, w: legend_w, h: legend_h }))
}

/// The x axis's left end: the decade below the smallest non-zero false-positive rate (1e-6 to 0.1; 1e-3 if none).
fn lowest_decade(points: &[ThresholdStats], chosen: &[(&str, ThresholdStats)]) -> f64 {
    let smallest = points
        .iter()
        .chain(chosen.iter().map(|(_, p)| p))
        .map(|p| p.false_positive_rate)
        .filter(|&f| f > 0.0)
        .fold(f64::INFINITY, f64::min);
    if smallest.is_finite() {
        10f64.powf(smallest.log10().floor()).clamp(1e-6, 0.1)
    } else {
        1e-3
    }
}

/// The legend: the curve, then each chosen point with its threshold, false-positive rate and recall.
fn legend_for(chosen: &[(&str, ThresholdStats)]) -> Legend {
    let mut legend = Legend::default();
    legend.entries.push(Entry { swatch: Swatch::Line(BLUE), label: "IP Insights".into() });
    for (k, (label, p)) in chosen.iter().enumerate() {
        legend.entries.push(Entry {
            swatch: Swatch::Dot(MARKER_COLORS[k % MARKER_COLORS.len()]),
            label: format!(
                "{label}: threshold {}, FPR {}, recall {}",
                format_number(p.threshold, 3),
                format_rate(p.false_positive_rate),
                format_rate(p.recall)
            ),
        });
    }
    legend
}

/// The first legend corner inside `area` (bottom right, top left, top right, bottom left) that the curve and the
/// dots (pixels) stay out of; `None` when there is none or the legend does not fit.
fn legend_corner(area: Rect, (w, h): (f64, f64), curve: &[(f64, f64)], dots: &[(f64, f64)]) -> Option<(f64, f64)> {
    if w > area.w - 16.0 || h > area.h - 16.0 {
        return None;
    }
    let right = area.x + area.w - w - 8.0;
    let bottom = area.y + area.h - h - 8.0;
    let candidates = [(right, bottom), (area.x + 8.0, area.y + 8.0), (right, area.y + 8.0), (area.x + 8.0, bottom)];
    candidates.into_iter().find(|&(x, y)| {
        let rect = Rect { x, y, w, h };
        !dots.iter().any(|&d| rect.contains(d, 8.0)) && !crosses(curve, rect)
    })
}

/// A dot per chosen operating point at `dots` (pixels), in the marker colours' order.
fn draw_points(svg: &mut Svg, chosen: &[(&str, ThresholdStats)], dots: &[(f64, f64)]) {
    for (k, ((label, _), &at)) in chosen.iter().zip(dots).enumerate() {
        let color = MARKER_COLORS[k % MARKER_COLORS.len()];
        svg.circle(
            at,
            6.0,
            &format!(
                "class=\"marker\" data-label=\"{}\" fill=\"{}\" stroke=\"#ffffff\" stroke-width=\"1.5\"",
                attribute(label),
                color.hex()
            ),
        );
    }
}

/// Whether the polyline passes through the rectangle (checked every 2 px along each segment).
fn crosses(line: &[(f64, f64)], rect: Rect) -> bool {
    line.windows(2).any(|pair| {
        let ((x0, y0), (x1, y1)) = (pair[0], pair[1]);
        let steps = ((x1 - x0).abs().max((y1 - y0).abs()) / 2.0).ceil().max(1.0) as usize;
        (0..=steps).any(|i| {
            let t = i as f64 / steps as f64;
            rect.contains((x0 + t * (x1 - x0), y0 + t * (y1 - y0)), 4.0)
        })
    }) || line.iter().any(|&p| rect.contains(p, 4.0))
}
