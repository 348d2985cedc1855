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
