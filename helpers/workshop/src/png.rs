//! PNG rendering of our SVG figures with resvg (feature `png`).
//!
//! Labels are drawn with the system's fonts (fontdb reads the usual font folders, on Debian `/usr/share/fonts`);
//! the figures ask for DejaVu Sans first (Debian's `fonts-dejavu-core`, which `scripts/setup` installs). With no
//! usable font at all the text would silently vanish, so that is an error instead.

use crate::error::{Result, WorkshopError};
use crate::plot::svg::FONT;
use resvg::{tiny_skia, usvg};

/// Renders `svg` at `scale` × its size to PNG bytes.
pub fn render(svg: &str, scale: f32) -> Result<Vec<u8>> {
    if !(scale.is_finite() && scale > 0.0 && scale <= 16.0) {
        return Err(WorkshopError::new(format!("PNG scale must be between 0 and 16, got {scale}")));
    }
    let mut options = usvg::Options::default();
    let fonts = options.fontdb_mut();
    fonts.load_system_fonts();
    let families: Vec<&str> = FONT.split(',').map(str::trim).collect();
    let installed = families.iter().find(|name| fonts.faces().any(|f| f.families.iter().any(|(n, _)| n == *name)));
    match installed {
        Some(name) => fonts.set_sans_serif_family(*name),
        None => {
            let any = fonts.faces().next().map(|f| f.families.first().map(|(n, _)| n.clone()).unwrap_or_default());
            match any {
                Some(name) => fonts.set_sans_serif_family(name),
                None => return Err(WorkshopError::new(
                    "no font to draw the figure's labels with: install one (Debian: apt-get install fonts-dejavu-core)",
                )),
            }
        }
    }
    let tree =
        usvg::Tree::from_str(svg, &options).map_err(|e| WorkshopError::context("cannot read the figure's SVG", e))?;
    let size = tree.size().to_int_size().scale_by(scale).ok_or_else(|| WorkshopError::new("figure too small"))?;
    let mut pixmap = tiny_skia::Pixmap::new(size.width(), size.height())
        .ok_or_else(|| WorkshopError::new(format!("cannot allocate a {}×{} image", size.width(), size.height())))?;
    pixmap.fill(tiny_skia::Color::WHITE);
    resvg::render(&tree, tiny_skia::Transform::from_scale(scale, scale), &mut pixmap.as_mut());
    pixmap.encode_png().map_err(|e| WorkshopError::context("cannot encode the PNG", e))
}

#[cfg(test)]
mod tests {
    use crate::plot::{overlaid_histograms, Series, BLUE, RED};

    #[test]
    fn renders_the_figure_with_its_text() {
        let a: Vec<f32> = (0..500).map(|i| (i % 37) as f32 / 3.0).collect();
        let b: Vec<f32> = (0..20).map(|i| -(i as f32) / 2.0).collect();
        let figure = overlaid_histograms(
            &[
                Series { label: "GuardDuty", values: &b, color: RED },
                Series { label: "Training", values: &a, color: BLUE },
            ],
            10,
            "IP Insights Score Histogram",
            "IP Insights Score",
            &[],
        );
        let png = figure.to_png(2.0).expect("renders");
        let image = resvg::tiny_skia::Pixmap::decode_png(&png).expect("a PNG");
        assert_eq!((image.width(), image.height()), (1520, 880), "twice the SVG's size");
        // The title is drawn in near-black across the top band: text needs a font, so this fails without one.
        let dark_title_pixels = image
            .pixels()
            .iter()
            .enumerate()
            .filter(|(i, p)| (*i as u32) / image.width() < 70 && p.red() < 60 && p.green() < 60 && p.blue() < 60)
            .count();
        assert!(dark_title_pixels > 500, "title text drawn: {dark_title_pixels} dark pixels");
        let red_bars = image.pixels().iter().filter(|p| p.red() > 200 && p.green() < 160 && p.blue() < 160).count();
        assert!(red_bars > 1000, "the small series shows: {red_bars} red pixels");
        assert!(figure.to_png(0.0).is_err() && figure.to_png(100.0).is_err(), "scales are checked");
    }
}
