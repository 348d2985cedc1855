//! Figures for notebook cells: histograms, overlaid histograms with threshold marks, ROC curves.
//!
//! A [`Figure`] is an SVG document; in a notebook it renders inline (evcxr shows the cell's `text/html` output) and
//! it can be saved to a file. Scores are whatever the caller passes: the workshop plots `dot_product` (higher = more
//! normal) unless a title says otherwise.

use ipinsights_engine::metrics::{histogram, ThresholdStats};
use plotters::prelude::*;

/// An SVG figure.
#[derive(Debug, Clone, PartialEq)]
pub struct Figure {
    /// The SVG document.
    pub svg: String,
}

impl Figure {
    /// Shows the figure in an evcxr notebook cell.
    pub fn evcxr_display(&self) {
        println!("EVCXR_BEGIN_CONTENT text/html\n<div>{}</div>\nEVCXR_END_CONTENT", self.svg);
    }

    /// Writes the SVG to `path` atomically.
    pub fn save(&self, path: &std::path::Path) -> std::io::Result<()> {
        use std::io::Write;
        ipinsights_engine::atomic::write_atomically(path, |w| w.write_all(self.svg.as_bytes()))
    }
}

/// One series of an overlaid histogram.
pub struct Series<'a> {
    /// Legend label.
    pub label: &'a str,
    /// The values.
    pub values: &'a [f32],
    /// Bar colour.
    pub color: RGBColor,
}

const WIDTH: u32 = 720;
const HEIGHT: u32 = 400;

/// A vertical marker line with a label.
pub struct Marker<'a> {
    /// Where on the x axis.
    pub x: f64,
    /// Legend label.
    pub label: &'a str,
}

/// A 10-bin style histogram of one series.
pub fn histogram_figure(values: &[f32], bins: usize, title: &str, x_label: &str) -> Figure {
    overlaid_histograms(&[Series { label: "", values, color: BLUE }], bins, title, x_label, &[])
}

/// Histograms of several series over one shared set of bins, semi-transparent, with a legend and markers.
pub fn overlaid_histograms(
    series: &[Series<'_>],
    bins: usize,
    title: &str,
    x_label: &str,
    markers: &[Marker<'_>],
) -> Figure {
    let all: Vec<f32> = series.iter().flat_map(|s| s.values.iter().copied()).collect();
    let shared = histogram(&all, bins, None);
    let (lo, hi) = (shared.edges[0], *shared.edges.last().unwrap_or(&1.0));
    let range = Some((lo, hi));
    let hists: Vec<_> = series.iter().map(|s| histogram(s.values, bins, range)).collect();
    let top = hists.iter().flat_map(|h| h.counts.iter().copied()).max().unwrap_or(1).max(1) as f64 * 1.08;
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (WIDTH, HEIGHT)).into_drawing_area();
        let _ = root.fill(&WHITE);
        let chart = ChartBuilder::on(&root)
            .caption(title, ("sans-serif", 20))
            .margin(12)
            .x_label_area_size(42)
            .y_label_area_size(60)
            .build_cartesian_2d(lo..hi, 0.0..top);
        if let Ok(mut chart) = chart {
            let _ = chart.configure_mesh().x_desc(x_label).y_desc("Frequency").draw();
            for (s, h) in series.iter().zip(&hists) {
                let style = s.color.mix(0.5).filled();
                let bars = h
                    .counts
                    .iter()
                    .enumerate()
                    .map(|(i, &c)| Rectangle::new([(h.edges[i], 0.0), (h.edges[i + 1], c as f64)], style));
                if let Ok(drawn) = chart.draw_series(bars) {
                    if !s.label.is_empty() {
                        let color = s.color;
                        drawn.label(s.label).legend(move |(x, y)| {
                            Rectangle::new([(x, y - 5), (x + 14, y + 5)], color.mix(0.5).filled())
                        });
                    }
                }
            }
            for (k, m) in markers.iter().enumerate() {
                let color = [BLACK, MAGENTA, GREEN, CYAN][k % 4];
                let line = LineSeries::new([(m.x, 0.0), (m.x, top)], color.stroke_width(2));
                if let Ok(drawn) = chart.draw_series(line) {
                    drawn
                        .label(m.label)
                        .legend(move |(x, y)| PathElement::new([(x, y), (x + 14, y)], color.stroke_width(2)));
                }
            }
            if series.iter().any(|s| !s.label.is_empty()) || !markers.is_empty() {
                let _ = chart.configure_series_labels().background_style(WHITE.mix(0.8)).border_style(BLACK).draw();
            }
        }
        let _ = root.present();
    }
    Figure { svg }
}

/// The ROC curve (recall against false-positive rate) with chosen operating points marked.
pub fn roc_figure(points: &[ThresholdStats], auc: f64, chosen: &[(&str, ThresholdStats)]) -> Figure {
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (WIDTH, HEIGHT)).into_drawing_area();
        let _ = root.fill(&WHITE);
        let chart = ChartBuilder::on(&root)
            .caption(format!("ROC curve (AUC = {auc:.4})"), ("sans-serif", 20))
            .margin(12)
            .x_label_area_size(42)
            .y_label_area_size(60)
            .build_cartesian_2d(0.0..1.0, 0.0..1.02);
        if let Ok(mut chart) = chart {
            let _ = chart.configure_mesh().x_desc("False positive rate").y_desc("Recall (true positive rate)").draw();
            let curve = points.iter().map(|p| (p.false_positive_rate, p.recall));
            if let Ok(drawn) = chart.draw_series(LineSeries::new(curve, BLUE.stroke_width(2))) {
                drawn
                    .label("IP Insights")
                    .legend(|(x, y)| PathElement::new([(x, y), (x + 14, y)], BLUE.stroke_width(2)));
            }
            let _ = chart.draw_series(LineSeries::new([(0.0, 0.0), (1.0, 1.0)], BLACK.mix(0.3)));
            for (k, (label, p)) in chosen.iter().enumerate() {
                let color = [MAGENTA, GREEN, RED, CYAN][k % 4];
                let dot = Circle::new((p.false_positive_rate, p.recall), 6, color.filled());
                if let Ok(drawn) = chart.draw_series([dot]) {
                    drawn.label(*label).legend(move |(x, y)| Circle::new((x + 7, y), 5, color.filled()));
                }
            }
            let _ =
                chart.configure_series_labels().position(SeriesLabelPosition::LowerRight).border_style(BLACK).draw();
        }
        let _ = root.present();
    }
    Figure { svg }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn histograms_render_bars_legends_and_markers() {
        let a = [1.0f32, 2.0, 2.5, 3.0, 9.0];
        let b = [-4.0f32, -3.0, -2.0];
        let fig = overlaid_histograms(
            &[
                Series { label: "Training", values: &a, color: BLUE },
                Series { label: "GuardDuty", values: &b, color: RED },
            ],
            10,
            "IP Insights Score Histogram",
            "IP Insights Score",
            &[Marker { x: 0.0, label: "threshold" }],
        );
        assert!(fig.svg.starts_with("<svg"), "{}", &fig.svg[..fig.svg.len().min(200)]);
        assert!(fig.svg.contains("IP Insights Score Histogram"));
        assert!(fig.svg.contains("Training") && fig.svg.contains("GuardDuty") && fig.svg.contains("threshold"));
        assert!(fig.svg.matches("<rect").count() >= 8, "bars are drawn");
        let single = histogram_figure(&a, 10, "t", "x");
        assert!(single.svg.contains("Frequency"));
    }

    #[test]
    fn roc_renders_curve_and_points() {
        let normal = [0.1f32, 0.4, 0.35];
        let anomalous = [0.8f32, 0.3, 0.9];
        let points = ipinsights_engine::metrics::roc_curve(&normal, &anomalous);
        let fig = roc_figure(&points, 0.8, &[("analyst review", points[1])]);
        assert!(fig.svg.contains("ROC curve (AUC = 0.8000)"));
        assert!(fig.svg.contains("analyst review"));
        assert!(fig.svg.contains("<circle"));
    }
}
