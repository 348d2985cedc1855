//! A small SVG writer: the shapes our figures draw, with text escaped and numbers rounded to tenths of a pixel.

use std::fmt::Write;

/// An RGB colour.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Color {
    /// Red.
    pub r: u8,
    /// Green.
    pub g: u8,
    /// Blue.
    pub b: u8,
}

impl Color {
    /// `#rrggbb`.
    pub fn hex(self) -> String {
        format!("#{:02x}{:02x}{:02x}", self.r, self.g, self.b)
    }
}

/// The font stack of every label: DejaVu Sans (Debian's default) first, so browsers and the PNG renderer agree.
pub const FONT: &str = "DejaVu Sans, Liberation Sans, Arial, Helvetica, sans-serif";

/// Approximate advance width of a character, as a share of the font size (DejaVu Sans averages about 0.58).
const CHAR_WIDTH: f64 = 0.6;

/// The width a label takes at `size` px (an upper estimate, for layout).
pub fn text_width(text: &str, size: f64) -> f64 {
    text.chars().count() as f64 * size * CHAR_WIDTH
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

/// Horizontal text anchor.
#[derive(Debug, Clone, Copy)]
pub enum Anchor {
    /// Text starts at x.
    Start,
    /// Text is centred on x.
    Middle,
    /// Text ends at x.
    End,
}

/// An SVG document being written.
pub struct Svg {
    body: String,
    width: f64,
    height: f64,
}

impl Svg {
    /// An empty white canvas of `width` × `height` px.
    pub fn new(width: f64, height: f64) -> Self {
        let mut svg = Svg { body: String::new(), width, height };
        svg.rect(0.0, 0.0, width, height, "fill=\"#ffffff\"");
        svg
    }

    /// A rectangle with extra attributes (`fill=…`, `class=…`).
    pub fn rect(&mut self, x: f64, y: f64, w: f64, h: f64, attributes: &str) {
        let _ =
            writeln!(self.body, "<rect x=\"{x:.1}\" y=\"{y:.1}\" width=\"{w:.1}\" height=\"{h:.1}\" {attributes}/>");
    }

    /// A straight line.
    pub fn line(&mut self, (x1, y1): (f64, f64), (x2, y2): (f64, f64), attributes: &str) {
        let _ = writeln!(self.body, "<line x1=\"{x1:.1}\" y1=\"{y1:.1}\" x2=\"{x2:.1}\" y2=\"{y2:.1}\" {attributes}/>");
    }

    /// A polyline through `points`.
    pub fn polyline(&mut self, points: &[(f64, f64)], attributes: &str) {
        let mut list = String::new();
        for (x, y) in points {
            let _ = write!(list, "{x:.1},{y:.1} ");
        }
        let _ = writeln!(self.body, "<polyline points=\"{}\" fill=\"none\" {attributes}/>", list.trim_end());
    }

    /// A circle.
    pub fn circle(&mut self, (cx, cy): (f64, f64), r: f64, attributes: &str) {
        let _ = writeln!(self.body, "<circle cx=\"{cx:.1}\" cy=\"{cy:.1}\" r=\"{r:.1}\" {attributes}/>");
    }

    /// A label at (x, y) (y is the baseline), `size` px, optionally rotated by `rotate` degrees around (x, y).
    pub fn text(&mut self, (x, y): (f64, f64), text: &str, size: f64, anchor: Anchor, extra: &str) {
        let anchor = match anchor {
            Anchor::Start => "start",
            Anchor::Middle => "middle",
            Anchor::End => "end",
        };
        let _ = writeln!(
            self.body,
            "<text x=\"{x:.1}\" y=\"{y:.1}\" font-size=\"{size}\" text-anchor=\"{anchor}\" {extra}>{}</text>",
            escape(text)
        );
    }

    /// Opens a group with these attributes (close it with [`Svg::end_group`]).
    pub fn group(&mut self, attributes: &str) {
        let _ = writeln!(self.body, "<g {attributes}>");
    }

    /// Closes the last group.
    pub fn end_group(&mut self) {
        self.body.push_str("</g>\n");
    }

    /// The document, with `title` as its accessible name.
    pub fn finish(self, title: &str) -> String {
        format!(
            "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{w}\" height=\"{h}\" viewBox=\"0 0 {w} {h}\" \
             font-family=\"{FONT}\" role=\"img\" aria-label=\"{t}\">\n<title>{t}</title>\n{body}</svg>",
            w = self.width,
            h = self.height,
            t = escape(title),
            body = self.body
        )
    }
}

/// An attribute value escaped for use inside double quotes.
pub fn attribute(text: &str) -> String {
    escape(text)
}
