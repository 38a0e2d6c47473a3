//! A figure as a list of drawing items, with an SVG writer; PNG is that SVG rendered by
//! resvg.
//!
//! Figures need only axis-aligned rectangles, horizontal and vertical lines and one line of
//! text per item. Shapes are drawn with `shape-rendering="crispEdges"` (whole pixels, no
//! anti-aliasing, the same in a browser and in the PNG); every rectangle is at least one
//! pixel wide, so that a one-second gap in a year stays visible. Text is set in DejaVu
//! Sans ([`super::font`]).

use super::font::{FONT_SIZE, SVG_FONT_FAMILY};
use std::fmt::Write as _;

/// An sRGB colour.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Color(pub u8, pub u8, pub u8);

impl Color {
    /// `#rrggbb`.
    pub fn hex(self) -> String {
        format!("#{:02x}{:02x}{:02x}", self.0, self.1, self.2)
    }
}

/// Horizontal anchoring of a text.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Anchor {
    /// The text starts at x.
    Start,
    /// The text is centred on x.
    Middle,
    /// The text ends at x.
    End,
}

/// One drawing item; coordinates in pixels from the top-left corner.
#[derive(Clone, Debug, PartialEq)]
pub enum Item {
    /// A filled rectangle, with an optional tooltip (SVG `<title>`).
    Rect {
        /// Left.
        x: f64,
        /// Top.
        y: f64,
        /// Width.
        w: f64,
        /// Height.
        h: f64,
        /// Fill colour.
        fill: Color,
        /// Tooltip.
        title: Option<String>,
    },
    /// A one-pixel horizontal or vertical line covering the pixel row `floor(y)` or column
    /// `floor(x)` (drawn through the pixel centres, so it stays crisp).
    Line {
        /// Start x.
        x1: f64,
        /// Start y.
        y1: f64,
        /// End x.
        x2: f64,
        /// End y.
        y2: f64,
        /// Colour.
        color: Color,
    },
    /// One line of text; `y` is the baseline.
    Text {
        /// Anchor x.
        x: f64,
        /// Baseline y.
        y: f64,
        /// The text (a character DejaVu Sans has no glyph for is drawn as its empty box).
        text: String,
        /// Anchoring.
        anchor: Anchor,
        /// Colour.
        color: Color,
    },
}

/// A figure: size, background and items drawn in order.
#[derive(Clone, Debug, PartialEq)]
pub struct Scene {
    /// Width, pixels.
    pub width: u32,
    /// Height, pixels.
    pub height: u32,
    /// Background colour.
    pub background: Color,
    /// A short description (SVG `<title>`, HTML `aria-label`).
    pub title: String,
    /// Items, drawn in order.
    pub items: Vec<Item>,
}

/// Escapes `&`, `<`, `>`, `"` and `'` for XML text and attribute values.
pub(crate) fn xml_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c if (c as u32) < 0x20 && c != '\n' && c != '\t' => out.push(' '),
            c => out.push(c),
        }
    }
    out
}

/// A coordinate with at most two decimals and no trailing zeros.
fn num(v: f64) -> String {
    let r = (v * 100.0).round() / 100.0;
    if r == r.trunc() {
        format!("{}", r as i64)
    } else {
        let s = format!("{r:.2}");
        s.trim_end_matches('0').to_string()
    }
}

impl Scene {
    /// The figure as a standalone SVG document (UTF-8, no external reference).
    pub fn to_svg(&self) -> String {
        let mut s = String::with_capacity(64 * self.items.len() + 512);
        s.push_str("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
        s.push_str(&self.svg_element());
        s
    }

    /// The figure as an `<svg>` element, to inline in HTML.
    pub fn svg_element(&self) -> String {
        self.write_svg_element(true)
    }

    /// The `<svg>` element; without the rectangles' tooltips (`<title>`) when `tooltips` is
    /// false (what the PNG renders: they are not drawn, and are about half the bytes).
    fn write_svg_element(&self, tooltips: bool) -> String {
        let mut s = String::with_capacity(64 * self.items.len() + 512);
        let _ = write!(
            s,
            "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{w}\" height=\"{h}\" \
             viewBox=\"0 0 {w} {h}\" role=\"img\" aria-label=\"{t}\" \
             font-family=\"{font}\" font-size=\"{size}\" shape-rendering=\"crispEdges\">\n\
             <title>{t}</title>\n<rect width=\"{w}\" height=\"{h}\" fill=\"{bg}\"/>\n",
            w = self.width,
            h = self.height,
            t = xml_escape(&self.title),
            bg = self.background.hex(),
            font = SVG_FONT_FAMILY,
            size = num(FONT_SIZE),
        );
        for it in &self.items {
            match it {
                Item::Rect {
                    x,
                    y,
                    w,
                    h,
                    fill,
                    title,
                } => {
                    let _ = write!(
                        s,
                        "<rect x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" fill=\"{}\"",
                        num(*x),
                        num(*y),
                        num(w.max(1.0)),
                        num(*h),
                        fill.hex()
                    );
                    match title {
                        Some(t) if tooltips => {
                            let _ = writeln!(s, "><title>{}</title></rect>", xml_escape(t));
                        }
                        _ => s.push_str("/>\n"),
                    }
                }
                Item::Line {
                    x1,
                    y1,
                    x2,
                    y2,
                    color,
                } => {
                    // through the pixel centres: a vertical line fills column floor(x), a
                    // horizontal one row floor(y)
                    let (mut x1, mut y1, mut x2, mut y2) = (*x1, *y1, *x2, *y2);
                    if x1 == x2 {
                        x1 = x1.floor() + 0.5;
                        x2 = x1;
                    }
                    if y1 == y2 {
                        y1 = y1.floor() + 0.5;
                        y2 = y1;
                    }
                    let _ = writeln!(
                        s,
                        "<line x1=\"{}\" y1=\"{}\" x2=\"{}\" y2=\"{}\" stroke=\"{}\"/>",
                        num(x1),
                        num(y1),
                        num(x2),
                        num(y2),
                        color.hex()
                    );
                }
                Item::Text {
                    x,
                    y,
                    text,
                    anchor,
                    color,
                } => {
                    let a = match anchor {
                        Anchor::Start => "start",
                        Anchor::Middle => "middle",
                        Anchor::End => "end",
                    };
                    let _ = writeln!(
                        s,
                        "<text x=\"{}\" y=\"{}\" text-anchor=\"{a}\" fill=\"{}\">{}</text>",
                        num(*x),
                        num(*y),
                        color.hex(),
                        xml_escape(text)
                    );
                }
            }
        }
        s.push_str("</svg>\n");
        s
    }

    /// The figure as a PNG image of `width × height` pixels (8-bit RGBA, opaque): its SVG
    /// ([`Scene::to_svg`], without the tooltips) rendered by resvg, text set in the embedded DejaVu Sans
    /// ([`super::FONT_FAMILY`]; no system font is looked up, so every machine draws the same
    /// pixels). Rectangles and lines are drawn without anti-aliasing (`crispEdges`), text
    /// with it.
    ///
    /// # Panics
    /// When the image cannot be allocated (more pixels than tiny-skia's limit, about
    /// 2^29 per side); a scene whose SVG does not parse would be a bug of [`Scene::to_svg`].
    pub fn to_png(&self) -> Vec<u8> {
        use resvg::{tiny_skia, usvg};
        let opts = usvg::Options {
            fontdb: super::font::font_database(),
            font_family: super::FONT_FAMILY.to_string(),
            font_size: FONT_SIZE as f32,
            ..usvg::Options::default()
        };
        let tree = match usvg::Tree::from_str(&self.write_svg_element(false), &opts) {
            Ok(t) => t,
            Err(e) => panic!("siqaco's own figure SVG does not parse: {e}"),
        };
        let size = tree.size().to_int_size();
        let Some(mut pixmap) = tiny_skia::Pixmap::new(size.width(), size.height()) else {
            panic!(
                "a {}x{} pixel figure cannot be allocated",
                size.width(),
                size.height()
            )
        };
        resvg::render(
            &tree,
            tiny_skia::Transform::identity(),
            &mut pixmap.as_mut(),
        );
        match pixmap.encode_png() {
            Ok(png) => png,
            // encoding into memory fails only when the PNG encoder itself fails
            Err(e) => panic!("PNG encoding failed: {e}"),
        }
    }
}
