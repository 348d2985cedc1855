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
    let smallest = points
        .iter()
        .chain(chosen.iter().map(|(_, p)| p))
        .map(|p| p.false_positive_rate)
        .filter(|&f| f > 0.0)
        .fold(f64::INFINITY, f64::min);
    let low = if smallest.is_finite() { 10f64.powf(smallest.log10().floor()).clamp(1e-6, 0.1) } else { 1e-3 };

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
    let (legend_w, legend_h) = legend.size();

    let y_values = ticks(0.0, 1.0, 0.2);
    let provisional: Vec<Tick> = y_values.iter().map(|&v| (0.0, format_percent(v))).collect();
    let place = |area: Rect| {
        let x = Log10 { domain: (low, 1.0), range: (area.x, area.x + area.w) };
        let y = Linear { domain: (0.0, 1.0), range: (area.y + area.h, area.y) };
        (x, y)
    };
    // Candidate legend corners inside the plot: the first one the curve and the dots stay out of.
    let inside = frame::plot_area(&provisional);
    let (x_scale, y_scale) = place(inside);
    let curve: Vec<(f64, f64)> =
        points.iter().map(|p| (x_scale.px(p.false_positive_rate), y_scale.px(p.recall))).collect();
    let dots: Vec<(f64, f64)> =
        chosen.iter().map(|(_, p)| (x_scale.px(p.false_positive_rate), y_scale.px(p.recall))).collect();
    let right = inside.x + inside.w - legend_w - 8.0;
    let bottom = inside.y + inside.h - legend_h - 8.0;
    let candidates =
        [(right, bottom), (inside.x + 8.0, inside.y + 8.0), (right, inside.y + 8.0), (inside.x + 8.0, bottom)];
    let fits = legend_w <= inside.w - 16.0 && legend_h <= inside.h - 16.0;
    let free = |&(x, y): &(f64, f64)| {
        let rect = Rect { x, y, w: legend_w, h: legend_h };
        if !fits {
            return false;
        }
        !dots.iter().any(|&d| rect.contains(d, 8.0)) && !crosses(&curve, rect)
    };
    let (area, legend_at, below) = match candidates.iter().find(|c| free(c)) {
        Some(&at) => (inside, at, 0.0),
        None => (inside, frame::legend_below(inside), legend_h),
    };
    let (x_scale, y_scale) = place(area);

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
    let curve: Vec<(f64, f64)> =
        points.iter().map(|p| (x_scale.px(p.false_positive_rate), y_scale.px(p.recall))).collect();
    svg.group(&format!("class=\"series\" data-label=\"IP Insights\" data-count=\"{}\"", points.len()));
    svg.polyline(&curve, &format!("stroke=\"{}\" stroke-width=\"2\"", BLUE.hex()));
    svg.end_group();
    for (k, (label, p)) in chosen.iter().enumerate() {
        let color = MARKER_COLORS[k % MARKER_COLORS.len()];
        svg.circle(
            (x_scale.px(p.false_positive_rate), y_scale.px(p.recall)),
            6.0,
            &format!(
                "class=\"marker\" data-label=\"{}\" fill=\"{}\" stroke=\"#ffffff\" stroke-width=\"1.5\"",
                attribute(label),
                color.hex()
            ),
        );
    }
    legend.draw(&mut svg, legend_at.0, legend_at.1);
    Figure::new(&title, svg.finish(&title), Some(Rect { x: legend_at.0, y: legend_at.1, w: legend_w, h: legend_h }))
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
