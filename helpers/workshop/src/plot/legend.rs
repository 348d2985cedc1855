//! Legends: what each colour means, drawn in a box that the figure places where it hides no data.

use super::svg::{attribute, text_width, Anchor, Color, Svg};

const FONT_SIZE: f64 = 12.0;
const LINE: f64 = 18.0;
const PAD: f64 = 8.0;
const SWATCH: f64 = 18.0;

/// How an entry shows its colour.
#[derive(Debug, Clone, Copy)]
pub enum Swatch {
    /// A filled bar (histogram series).
    Bar(Color),
    /// A dashed vertical line (threshold marker).
    Dashed(Color),
    /// A solid line (curve).
    Line(Color),
    /// A dot (operating point).
    Dot(Color),
}

/// One legend line.
#[derive(Debug, Clone)]
pub struct Entry {
    /// The colour sample.
    pub swatch: Swatch,
    /// The text.
    pub label: String,
}

/// A legend box.
#[derive(Debug, Clone, Default)]
pub struct Legend {
    /// Its lines, top to bottom.
    pub entries: Vec<Entry>,
}

/// A rectangle in pixels.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Rect {
    /// Left.
    pub x: f64,
    /// Top.
    pub y: f64,
    /// Width.
    pub w: f64,
    /// Height.
    pub h: f64,
}

impl Rect {
    /// Whether the point lies inside (with `margin` px to spare).
    pub fn contains(&self, (x, y): (f64, f64), margin: f64) -> bool {
        x >= self.x - margin && x <= self.x + self.w + margin && y >= self.y - margin && y <= self.y + self.h + margin
    }
}

impl Legend {
    /// Whether there is anything to show.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Width and height of the box in px.
    pub fn size(&self) -> (f64, f64) {
        let text = self.entries.iter().map(|e| text_width(&e.label, FONT_SIZE)).fold(0.0, f64::max);
        (PAD * 2.0 + SWATCH + 6.0 + text, PAD * 2.0 + LINE * self.entries.len() as f64 - 4.0)
    }

    /// Draws the box with its top-left corner at (x, y).
    pub fn draw(&self, svg: &mut Svg, x: f64, y: f64) {
        if self.is_empty() {
            return;
        }
        let (w, h) = self.size();
        svg.group("class=\"legend\"");
        svg.rect(x, y, w, h, "fill=\"#ffffff\" fill-opacity=\"0.9\" stroke=\"#bbbbbb\" rx=\"3\"");
        for (i, entry) in self.entries.iter().enumerate() {
            let mid = y + PAD + LINE * i as f64 + 6.0;
            let sx = x + PAD;
            svg.group(&format!("class=\"legend-entry\" data-label=\"{}\"", attribute(&entry.label)));
            match entry.swatch {
                Swatch::Bar(c) => svg.rect(
                    sx,
                    mid - 5.0,
                    SWATCH,
                    10.0,
                    &format!("fill=\"{0}\" fill-opacity=\"0.55\" stroke=\"{0}\"", c.hex()),
                ),
                Swatch::Dashed(c) => svg.line(
                    (sx, mid),
                    (sx + SWATCH, mid),
                    &format!("stroke=\"{}\" stroke-width=\"2\" stroke-dasharray=\"5,3\"", c.hex()),
                ),
                Swatch::Line(c) => {
                    svg.line((sx, mid), (sx + SWATCH, mid), &format!("stroke=\"{}\" stroke-width=\"2\"", c.hex()))
                }
                Swatch::Dot(c) => svg.circle((sx + SWATCH / 2.0, mid), 5.0, &format!("fill=\"{}\"", c.hex())),
            }
            svg.text((sx + SWATCH + 6.0, mid + 4.0), &entry.label, FONT_SIZE, Anchor::Start, "fill=\"#222222\"");
            svg.end_group();
        }
        svg.end_group();
    }
}
