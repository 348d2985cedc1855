//! Figures for notebook cells: histograms (one series as counts, several as a percentage of each series), threshold
//! markers, and the ROC curve on a log-scale false-positive rate.
//!
//! Every figure is a [`Figure`] (SVG): it shows inline as `image/svg+xml` and saves to SVG or PNG. Scores are
//! whatever the caller passes: the workshop plots `dot_product` (higher = more normal) unless an axis says
//! "anomaly score" (= −dot_product).

mod frame;
mod histogram;
pub(crate) mod legend;
mod roc;
pub(crate) mod scale;
pub(crate) mod svg;

pub use crate::figure::Figure;
pub use histogram::bin_edges;
use ipinsights_engine::metrics::ThresholdStats;
pub use svg::Color;

/// Blue (the tutorial's training series).
pub const BLUE: Color = Color { r: 0x1f, g: 0x77, b: 0xb4 };
/// Red (the tutorial's GuardDuty / attack series).
pub const RED: Color = Color { r: 0xd6, g: 0x27, b: 0x28 };
/// Green.
pub const GREEN: Color = Color { r: 0x2c, g: 0xa0, b: 0x2c };
/// Orange.
pub const ORANGE: Color = Color { r: 0xff, g: 0x7f, b: 0x0e };
/// Purple.
pub const PURPLE: Color = Color { r: 0x94, g: 0x67, b: 0xbd };

/// Colours of threshold markers and operating points, in order (distinct from the series' blue and red).
const MARKER_COLORS: [Color; 4] = [Color { r: 0x22, g: 0x22, b: 0x22 }, PURPLE, GREEN, ORANGE];

/// One series of an overlaid histogram.
pub struct Series<'a> {
    /// Legend label (its size is added to it).
    pub label: &'a str,
    /// The values.
    pub values: &'a [f32],
    /// Bar colour.
    pub color: Color,
}

/// A vertical marker line (e.g. a threshold), named in the legend with its value.
pub struct Marker<'a> {
    /// Where on the x axis.
    pub x: f64,
    /// Legend label.
    pub label: &'a str,
}

/// A histogram of one series with about `bins` round bins; the y axis counts values ("Frequency").
pub fn histogram_figure(values: &[f32], bins: usize, title: &str, x_label: &str) -> Figure {
    histogram::draw(&[Series { label: "", values, color: BLUE }], bins, title, x_label, &[], histogram::YAxis::Count)
}

/// Histograms of several series over one set of round bins covering all of them, each as a percentage of its own
/// size (so a few dozen findings show beside thousands of training pairs), with each series' size in the legend
/// and optional vertical markers.
pub fn overlaid_histograms(
    series: &[Series<'_>],
    bins: usize,
    title: &str,
    x_label: &str,
    markers: &[Marker<'_>],
) -> Figure {
    histogram::draw(series, bins, title, x_label, markers, histogram::YAxis::Percent)
}

/// The ROC curve (recall against a log-scale false-positive rate) with chosen operating points marked and their
/// thresholds, false-positive rates and recalls in the legend.
pub fn roc_figure(points: &[ThresholdStats], auc: f64, chosen: &[(&str, ThresholdStats)]) -> Figure {
    roc::draw(points, auc, chosen)
}

#[cfg(test)]
mod tests;
