//! A figure: an SVG document that shows in a notebook as `image/svg+xml` (so nbconvert, GitHub and slide exports
//! keep it) and saves to SVG, or to PNG for slides (feature `png`: resvg draws our SVG with the system's fonts).

use crate::error::{Result, WorkshopError};
use crate::plot::legend::Rect;
use std::path::Path;

/// An SVG figure.
#[derive(Debug, Clone, PartialEq)]
pub struct Figure {
    /// The title (also the SVG's accessible name).
    pub title: String,
    /// The SVG document.
    pub svg: String,
    /// Where the legend box sits, in px (for layout checks).
    pub(crate) legend: Option<Rect>,
}

impl Figure {
    pub(crate) fn new(title: &str, svg: String, legend: Option<Rect>) -> Self {
        Figure { title: title.to_string(), svg, legend }
    }

    /// Shows the figure in an evcxr notebook cell: the SVG as `image/svg+xml`, the title as the plain-text form.
    pub fn evcxr_display(&self) {
        println!("EVCXR_BEGIN_CONTENT image/svg+xml\n{}\nEVCXR_END_CONTENT", self.svg);
        println!("EVCXR_BEGIN_CONTENT text/plain\nFigure: {}\nEVCXR_END_CONTENT", self.title);
    }

    /// Writes the SVG to `path` atomically (same as [`Figure::save_svg`]).
    pub fn save(&self, path: impl AsRef<Path>) -> Result<()> {
        self.save_svg(path)
    }

    /// Writes the SVG to `path` atomically (creating its folder).
    pub fn save_svg(&self, path: impl AsRef<Path>) -> Result<()> {
        let path = path.as_ref();
        create_parent(path)?;
        ipinsights_engine::atomic::write_atomically(path, |w| std::io::Write::write_all(w, self.svg.as_bytes()))
            .map_err(|e| WorkshopError::io("write", path, e))
    }

    /// Writes the figure as a PNG `scale` times the SVG's size (2.0 suits slides), atomically (creating its
    /// folder). Needs the helper
    /// crate's `png` feature and a sans-serif font on the system (Debian: `fonts-dejavu-core`).
    pub fn save_png(&self, path: impl AsRef<Path>, scale: f32) -> Result<()> {
        let path = path.as_ref();
        let png = self.to_png(scale)?;
        create_parent(path)?;
        ipinsights_engine::atomic::write_atomically(path, |w| std::io::Write::write_all(w, &png))
            .map_err(|e| WorkshopError::io("write", path, e))
    }

    /// The figure as PNG bytes, `scale` times the SVG's size.
    #[cfg(feature = "png")]
    pub fn to_png(&self, scale: f32) -> Result<Vec<u8>> {
        crate::png::render(&self.svg, scale)
    }

    /// The figure as PNG bytes (this build has no PNG renderer: see the error).
    #[cfg(not(feature = "png"))]
    pub fn to_png(&self, _scale: f32) -> Result<Vec<u8>> {
        Err(WorkshopError::new(
            "this build cannot write PNG: load the helper crate with features = [\"png\"] (see docs/NOTEBOOKS.md, \"Figures for slides\"), or save the SVG",
        ))
    }
}

fn create_parent(path: &Path) -> Result<()> {
    match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => {
            std::fs::create_dir_all(dir).map_err(|e| WorkshopError::io("create folder", dir, e))
        }
        _ => Ok(()),
    }
}
