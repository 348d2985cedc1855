//! The frame every figure shares: canvas size, title, plot area, a light grid at the y ticks, axes, tick labels and
//! axis titles.

use super::legend::Rect;
use super::svg::{text_width, Anchor, Svg};

/// Canvas width in px.
pub const WIDTH: f64 = 760.0;
/// Canvas height in px.
pub const HEIGHT: f64 = 440.0;
const TICK_FONT: f64 = 12.0;
const LABEL_FONT: f64 = 13.0;
const TITLE_FONT: f64 = 17.0;

/// A tick: where (px) and what it says.
pub type Tick = (f64, String);

/// The plot area for y tick labels this wide.
pub fn plot_area(y_labels: &[Tick]) -> Rect {
    let label_width = y_labels.iter().map(|(_, t)| text_width(t, TICK_FONT)).fold(0.0, f64::max);
    let left = 30.0 + label_width + 10.0;
    let top = 44.0;
    let right = WIDTH - 28.0;
    let bottom = HEIGHT - 52.0;
    Rect { x: left, y: top, w: right - left, h: bottom - top }
}

/// Where a legend goes when no corner of the plot is free: under the x axis title, on a taller canvas.
pub fn legend_below(area: Rect) -> (f64, f64) {
    (area.x, HEIGHT + 2.0)
}

/// The canvas height for a legend of height `legend_h` placed by [`legend_below`] (or none: `0.0`).
pub fn canvas_height(legend_below_h: f64) -> f64 {
    if legend_below_h > 0.0 {
        HEIGHT + legend_below_h + 10.0
    } else {
        HEIGHT
    }
}

/// Draws the title, the grid, the axes with their ticks and the axis titles around `area`.
pub fn draw(svg: &mut Svg, area: Rect, title: &str, x_label: &str, y_label: &str, x_ticks: &[Tick], y_ticks: &[Tick]) {
    let (left, top, right, bottom) = (area.x, area.y, area.x + area.w, area.y + area.h);
    svg.text((WIDTH / 2.0, 26.0), title, TITLE_FONT, Anchor::Middle, "fill=\"#111111\" font-weight=\"bold\"");
    svg.group("class=\"grid\" stroke=\"#e6e6e6\" stroke-width=\"1\"");
    for (y, _) in y_ticks {
        svg.line((left, *y), (right, *y), "");
    }
    svg.end_group();
    svg.group("class=\"axes\" stroke=\"#444444\" stroke-width=\"1\"");
    svg.line((left, bottom), (right, bottom), "");
    svg.line((left, top), (left, bottom), "");
    for (x, _) in x_ticks {
        svg.line((*x, bottom), (*x, bottom + 5.0), "");
    }
    for (y, _) in y_ticks {
        svg.line((left - 5.0, *y), (left, *y), "");
    }
    svg.end_group();
    for (x, label) in x_ticks {
        svg.text((*x, bottom + 19.0), label, TICK_FONT, Anchor::Middle, "fill=\"#333333\" class=\"x-tick\"");
    }
    for (y, label) in y_ticks {
        svg.text((left - 8.0, y + 4.0), label, TICK_FONT, Anchor::End, "fill=\"#333333\" class=\"y-tick\"");
    }
    svg.text(((left + right) / 2.0, HEIGHT - 12.0), x_label, LABEL_FONT, Anchor::Middle, "fill=\"#222222\"");
    let y_mid = (top + bottom) / 2.0;
    svg.text(
        (16.0, y_mid),
        y_label,
        LABEL_FONT,
        Anchor::Middle,
        &format!("fill=\"#222222\" transform=\"rotate(-90 16 {y_mid:.1})\""),
    );
}
