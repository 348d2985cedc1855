//! Histograms: one series as counts, or several overlaid as a percentage of each series so that 56 findings and
//! 20,000 training pairs can be compared on one axis.
//!
//! Bins have round edges and cover every finite value of every series and every marker (nothing is clipped); a
//! bin that holds anything is at least 1 px high; non-finite values are counted in the legend, never dropped
//! silently; the legend goes into a top corner only where it covers no bar and no marker (the y axis grows a
//! little to make room), otherwise under the plot.

use super::frame::{self, Tick};
use super::legend::{Entry, Legend, Rect, Swatch};
use super::scale::{decimals, format_number, nice_step, ticks, Linear};
use super::svg::{attribute, Color, Svg};
use super::{Figure, Marker, Series, MARKER_COLORS};

/// What the y axis shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum YAxis {
    /// Values per bin.
    Count,
    /// Percentage of the series' values per bin.
    Percent,
}

/// Round bin edges covering `[lo, hi]` with about `target` bins; `hi` lies inside the last bin.
pub fn bin_edges(lo: f64, hi: f64, target: usize) -> Vec<f64> {
    let (lo, hi) = if hi > lo { (lo, hi) } else { (lo - 0.5, hi + 0.5) };
    let target = target.clamp(1, 400);
    let layout = |width: f64| {
        let start = (lo / width).floor() * width;
        (start, width, ((hi - start) / width).floor() as usize + 1)
    };
    // Of the round widths near span / target, the one whose bin count comes closest to the target (on a tie, the
    // finer one).
    let (start, width, bins) = [target, target * 3 / 2, target * 2]
        .into_iter()
        .map(|t| layout(nice_step(hi - lo, t)))
        .min_by_key(|&(_, _, bins)| (bins.abs_diff(target), std::cmp::Reverse(bins)))
        .unwrap_or((lo, hi - lo, 1));
    ticks(start, start + bins.min(1000) as f64 * width, width)
}

/// The bin of `v` among `edges` (half-open bins `[a, b)`), if inside.
fn bin_of(v: f64, edges: &[f64]) -> Option<usize> {
    let (first, last) = (edges[0], edges[edges.len() - 1]);
    if v < first || v >= last {
        return None;
    }
    let width = edges[1] - edges[0];
    Some((((v - first) / width) as usize).min(edges.len() - 2))
}

/// One series binned: its colour, its legend label and its bar heights on the y axis's unit.
struct Binned {
    color: Color,
    label: String,
    heights: Vec<f64>,
}

/// Where the legend goes: its top-left corner, the y axis's top, and the height added under the plot for it.
struct Placement {
    at: (f64, f64),
    top: f64,
    below: f64,
}

/// Draws the histogram figure (see the module doc).
pub fn draw(
    series: &[Series<'_>],
    bins: usize,
    title: &str,
    x_label: &str,
    markers: &[Marker<'_>],
    y: YAxis,
) -> Figure {
    let finite: Vec<Vec<f64>> =
        series.iter().map(|s| s.values.iter().filter(|v| v.is_finite()).map(|&v| f64::from(v)).collect()).collect();
    let everything = finite.iter().flatten().copied().chain(markers.iter().map(|m| m.x).filter(|x| x.is_finite()));
    let (lo, hi) = everything.fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), v| (a.min(v), b.max(v)));
    let (lo, hi) = if lo.is_finite() { (lo, hi) } else { (0.0, 1.0) };
    let edges = bin_edges(lo, hi, bins);
    let binned: Vec<Binned> = series.iter().zip(&finite).map(|(s, values)| bin_series(s, values, &edges, y)).collect();
    let legend = legend_for(&binned, markers, decimals(nice_step(hi - lo, 100)).min(3));

    let data_top = binned.iter().flat_map(|b| b.heights.iter().copied()).fold(0.0, f64::max);
    let base_top = if data_top > 0.0 { data_top * 1.05 } else { 1.0 };
    let area = frame::plot_area(&y_ticks_for(base_top * 1.6, y));
    let x_scale = Linear { domain: (edges[0], edges[edges.len() - 1]), range: (area.x, area.x + area.w) };
    let layout = Layout { area, x_scale, binned: &binned, edges: &edges, markers, base_top };
    let place = layout.place_legend(&legend);

    let y_ticks = y_ticks_for(place.top, y);
    let y_end = y_ticks.last().map_or(place.top, |t| t.0).max(place.top);
    let y_scale = Linear { domain: (0.0, y_end), range: (area.y + area.h, area.y) };
    let x_step = nice_step(edges[edges.len() - 1] - edges[0], 8);
    let x_places = decimals(x_step);
    let x_ticks: Vec<Tick> = ticks(edges[0], edges[edges.len() - 1], x_step)
        .into_iter()
        .map(|v| (x_scale.px(v), format_number(v, x_places)))
        .collect();
    let y_label = match y {
        YAxis::Count => "Frequency",
        YAxis::Percent => "Percent of each series",
    };

    let (legend_w, legend_h) = legend.size();
    let mut svg = Svg::new(frame::WIDTH.max(place.at.0 + legend_w + 8.0), frame::canvas_height(place.below));
    let y_px: Vec<Tick> = y_ticks.iter().map(|(v, t)| (y_scale.px(*v), t.clone())).collect();
    frame::draw(&mut svg, area, title, x_label, y_label, &x_ticks, &y_px);
    draw_bars(&mut svg, &binned, series, &edges, &x_scale, &y_scale);
    draw_markers(&mut svg, markers, &x_scale, (area.y, y_scale.px(0.0)));
    legend.draw(&mut svg, place.at.0, place.at.1);
    Figure::new(title, svg.finish(title), Some(Rect { x: place.at.0, y: place.at.1, w: legend_w, h: legend_h }))
}

/// Counts one series' finite `values` into `edges`' bins, scaled to the y axis, with its legend label.
fn bin_series(s: &Series<'_>, values: &[f64], edges: &[f64], y: YAxis) -> Binned {
    let mut counts = vec![0u64; edges.len() - 1];
    for &v in values {
        if let Some(b) = bin_of(v, edges) {
            counts[b] += 1;
        }
    }
    let scale = match y {
        YAxis::Count => 1.0,
        YAxis::Percent => 100.0 / (values.len().max(1) as f64),
    };
    let skipped = s.values.len() - values.len();
    let mut label = match y {
        YAxis::Percent => format!("{} (n = {})", s.label, format_number(values.len() as f64, 0)),
        YAxis::Count => s.label.to_string(),
    };
    if skipped > 0 {
        label.push_str(&format!(", {skipped} non-finite not shown"));
    }
    Binned { color: s.color, label, heights: counts.iter().map(|&c| c as f64 * scale).collect() }
}

/// The legend: a bar swatch per labelled series, then a dashed line per marker with its value to `places` decimals.
fn legend_for(binned: &[Binned], markers: &[Marker<'_>], places: usize) -> Legend {
    let mut legend = Legend::default();
    for b in binned.iter().filter(|b| !b.label.is_empty()) {
        legend.entries.push(Entry { swatch: Swatch::Bar(b.color), label: b.label.clone() });
    }
    for (k, m) in markers.iter().enumerate() {
        let color = MARKER_COLORS[k % MARKER_COLORS.len()];
        legend.entries.push(Entry {
            swatch: Swatch::Dashed(color),
            label: format!("{} ({})", m.label, format_number(m.x, places)),
        });
    }
    legend
}

/// The y axis's step for a top value: whole counts take no 2.5 steps and never a step below 1.
fn y_step(top: f64, y: YAxis) -> f64 {
    let step = nice_step(top, 5);
    match y {
        YAxis::Count if step < 1.0 => 1.0,
        YAxis::Count if (step - step.round()).abs() > 1e-9 => step * 0.8,
        _ => step,
    }
}

/// The y axis's ticks (value and text) from 0 to at least `top`.
fn y_ticks_for(top: f64, y: YAxis) -> Vec<(f64, String)> {
    let step = y_step(top, y);
    let end = (top / step).ceil() * step;
    let places = decimals(step);
    ticks(0.0, end, step).into_iter().map(|v| (v, format_number(v, places))).collect()
}

/// What the legend's placement looks at: the plot area, the x scale, the bars and the markers.
struct Layout<'a, 'm> {
    area: Rect,
    x_scale: Linear,
    binned: &'a [Binned],
    edges: &'a [f64],
    markers: &'a [Marker<'m>],
    /// The y axis's top without a legend inside the plot.
    base_top: f64,
}

impl Layout<'_, '_> {
    /// The legend in the top corner that needs the lowest y axis, or under the plot when no corner is usable.
    fn place_legend(&self, legend: &Legend) -> Placement {
        let (legend_w, legend_h) = legend.size();
        let area = self.area;
        let corners = [area.x + area.w - legend_w - 8.0, area.x + 8.0];
        let best = corners
            .iter()
            .filter_map(|&x| self.corner_top(x, legend_w, legend_h).map(|top| (x, top)))
            .min_by(|a, b| a.1.total_cmp(&b.1))
            .filter(|(_, top)| legend.is_empty() || *top <= self.base_top * 1.5)
            .filter(|_| legend_w <= area.w - 16.0 && legend_h <= area.h / 2.0);
        match best {
            Some((x, top)) => Placement { at: (x, area.y + 8.0), top, below: 0.0 },
            None => Placement { at: frame::legend_below(area), top: self.base_top, below: legend_h },
        }
    }

    /// The y axis's top with a `w` × `h` legend at `x` in a top corner, so every bar under it ends below the box;
    /// `None` when a marker falls under it.
    fn corner_top(&self, x: f64, w: f64, h: f64) -> Option<f64> {
        let (a, b) = (self.x_scale.value(x - 4.0), self.x_scale.value(x + w + 4.0));
        if self.markers.iter().any(|m| m.x >= a && m.x <= b) {
            return None;
        }
        let edges = self.edges;
        let under = self
            .binned
            .iter()
            .flat_map(|s| s.heights.iter().enumerate())
            .filter(|(i, _)| edges[i + 1] > a && edges[*i] < b)
            .map(|(_, &h)| h)
            .fold(0.0, f64::max);
        let free = self.area.h - h - 16.0;
        Some(self.base_top.max(under * self.area.h / free))
    }
}

/// One group of bars per series; a bin that holds anything is at least 1 px high.
fn draw_bars(svg: &mut Svg, binned: &[Binned], series: &[Series<'_>], edges: &[f64], x: &Linear, y: &Linear) {
    let floor = y.px(0.0);
    for (b, s) in binned.iter().zip(series) {
        svg.group(&format!(
            "class=\"series\" data-label=\"{}\" data-count=\"{}\" fill=\"{c}\" fill-opacity=\"0.55\" stroke=\"{c}\" stroke-width=\"1\"",
            attribute(s.label),
            s.values.len(),
            c = b.color.hex()
        ));
        for (i, &h) in b.heights.iter().enumerate() {
            if h <= 0.0 {
                continue;
            }
            let (x0, x1) = (x.px(edges[i]), x.px(edges[i + 1]));
            let height = (floor - y.px(h)).max(1.0);
            svg.rect(x0, floor - height, x1 - x0, height, "");
        }
        svg.end_group();
    }
}

/// A dashed vertical line per marker from `top` to `floor` (pixels), in the marker colours' order.
fn draw_markers(svg: &mut Svg, markers: &[Marker<'_>], x_scale: &Linear, (top, floor): (f64, f64)) {
    for (k, m) in markers.iter().enumerate() {
        let color = MARKER_COLORS[k % MARKER_COLORS.len()];
        let x = x_scale.px(m.x);
        svg.line(
            (x, top),
            (x, floor),
            &format!(
                "class=\"marker\" data-label=\"{}\" stroke=\"{}\" stroke-width=\"2\" stroke-dasharray=\"6,4\"",
                attribute(m.label),
                color.hex()
            ),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bins_are_round_and_cover_everything() {
        let edges = bin_edges(-3.7, 12.2, 10);
        assert_eq!(edges.first(), Some(&-4.0));
        assert!(*edges.last().unwrap() > 12.2);
        assert!((edges[1] - edges[0] - 2.0).abs() < 1e-12, "{edges:?}");
        let at_edge = bin_edges(0.0, 10.0, 10);
        assert_eq!(bin_of(10.0, &at_edge), Some(at_edge.len() - 2), "the maximum lies in the last bin");
        let single = bin_edges(5.0, 5.0, 10);
        assert!(bin_of(5.0, &single).is_some() && single.len() > 2, "one value still gets bins around it: {single:?}");
    }
}
