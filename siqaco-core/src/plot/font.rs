//! The figures' typeface: DejaVu Sans 2.37, embedded in the binary.
//!
//! The font file and its licence (Bitstream Vera; DejaVu changes public domain) are in
//! `siqaco-core/assets/fonts/`. PNG rendering loads only this font (no system font lookup),
//! so a figure renders to the same pixels on every machine; the SVG names the same family,
//! so a browser with DejaVu Sans (or Bitstream Vera Sans, whose metrics are the same) shows
//! it the same way. Text widths for the layout are the font's own glyph advances.

use resvg::usvg::fontdb;
use skrifa::instance::{LocationRef, Size};
use skrifa::{FontRef, MetadataProvider};
use std::sync::{Arc, OnceLock};

/// The typeface of every figure text (the `font-family` the SVG names first).
pub const FONT_FAMILY: &str = "DejaVu Sans";

/// The SVG `font-family` list: the embedded typeface, then the same design under its
/// original name, then the browser's sans-serif.
pub(crate) const SVG_FONT_FAMILY: &str = "DejaVu Sans, Bitstream Vera Sans, sans-serif";

/// Size of figure text, pixels (SVG `font-size`).
pub(crate) const FONT_SIZE: f64 = 11.0;

/// Height of a capital letter above the baseline at [`FONT_SIZE`], pixels (DejaVu Sans:
/// cap height 1493 of 2048 units per em).
pub(crate) const CAP_H: f64 = 8.0;

/// DejaVu Sans Book 2.37 (`fonts-dejavu-core`), unmodified.
static FONT: &[u8] = include_bytes!("../../assets/fonts/DejaVuSans.ttf");

/// Advances at [`FONT_SIZE`] of the printable ASCII characters (index `c - 0x20`).
struct Advances {
    ascii: [f64; 95],
    /// Advance of a character the font has no glyph for (its `.notdef` box).
    missing: f64,
}

fn advances() -> &'static Advances {
    static A: OnceLock<Advances> = OnceLock::new();
    A.get_or_init(|| {
        let mut a = Advances {
            ascii: [FONT_SIZE * 0.6; 95],
            missing: FONT_SIZE * 0.6,
        };
        // The embedded file is a valid TrueType font; the fallback above only guards a
        // build with a damaged asset.
        if let Ok(font) = FontRef::new(FONT) {
            let metrics = font.glyph_metrics(Size::new(FONT_SIZE as f32), LocationRef::default());
            let cmap = font.charmap();
            let adv = |c: char| {
                metrics
                    .advance_width(cmap.map(c).unwrap_or_default())
                    .map(f64::from)
            };
            if let Some(m) = adv('\u{FFFF}') {
                a.missing = m;
            }
            for (i, v) in a.ascii.iter_mut().enumerate() {
                if let Some(m) = adv(char::from(0x20 + i as u8)) {
                    *v = m;
                }
            }
        }
        a
    })
}

/// Width of `s` set in [`FONT_FAMILY`] at [`FONT_SIZE`], pixels: the sum of the glyphs'
/// advances (without kerning, which moves a few pairs such as `AV` by under a pixel).
/// Non-ASCII characters are measured from the font's character map.
pub(crate) fn text_width(s: &str) -> f64 {
    let a = advances();
    let mut other: Option<(FontRef<'static>, skrifa::metrics::GlyphMetrics<'static>)> = None;
    s.chars()
        .map(|c| match u32::from(c) {
            0x20..=0x7e => a.ascii[(u32::from(c) - 0x20) as usize],
            _ => {
                if other.is_none() {
                    other = FontRef::new(FONT).ok().map(|f| {
                        let m =
                            f.glyph_metrics(Size::new(FONT_SIZE as f32), LocationRef::default());
                        (f, m)
                    });
                }
                other
                    .as_ref()
                    .and_then(|(f, m)| m.advance_width(f.charmap().map(c)?))
                    .map_or(a.missing, f64::from)
            }
        })
        .sum()
}

/// A font database holding only the embedded typeface, which also answers the generic
/// families (`sans-serif`, `serif`, `monospace`, ...), shared by every rendering.
pub(crate) fn font_database() -> Arc<fontdb::Database> {
    static DB: OnceLock<Arc<fontdb::Database>> = OnceLock::new();
    DB.get_or_init(|| {
        let mut db = fontdb::Database::new();
        db.load_font_source(fontdb::Source::Binary(Arc::new(FONT)));
        db.set_sans_serif_family(FONT_FAMILY);
        db.set_serif_family(FONT_FAMILY);
        db.set_monospace_family(FONT_FAMILY);
        db.set_cursive_family(FONT_FAMILY);
        db.set_fantasy_family(FONT_FAMILY);
        Arc::new(db)
    })
    .clone()
}
