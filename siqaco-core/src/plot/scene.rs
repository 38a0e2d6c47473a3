//! A figure as a list of drawing items, with an SVG writer and a PNG rasteriser.
//!
//! Figures need only axis-aligned rectangles, horizontal and vertical lines and one line of
//! monospace text, so the rasteriser is small and exact: rectangles are snapped to whole
//! pixels (at least one pixel wide, so that a one-second gap in a year stays visible) and
//! text is drawn with the public-domain 8×8 bitmap font of the `font8x8` crate.

use std::fmt::Write as _;

/// Advance of one character of figure text, pixels (both SVG and PNG).
pub(crate) const CHAR_W: f64 = 7.0;
/// Height of figure text, pixels.
pub(crate) const TEXT_H: f64 = 8.0;

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
    /// A one-pixel horizontal or vertical line (other directions are drawn in SVG only).
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
        /// The text (ASCII is drawn in PNG; other characters as `?`).
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
        let mut s = String::with_capacity(64 * self.items.len() + 512);
        let _ = write!(
            s,
            "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{w}\" height=\"{h}\" \
             viewBox=\"0 0 {w} {h}\" role=\"img\" aria-label=\"{t}\" \
             font-family=\"DejaVu Sans Mono, Menlo, Consolas, monospace\" font-size=\"11\">\n\
             <title>{t}</title>\n<rect width=\"{w}\" height=\"{h}\" fill=\"{bg}\"/>\n",
            w = self.width,
            h = self.height,
            t = xml_escape(&self.title),
            bg = self.background.hex()
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
                        Some(t) => {
                            let _ = writeln!(s, "><title>{}</title></rect>", xml_escape(t));
                        }
                        None => s.push_str("/>\n"),
                    }
                }
                Item::Line {
                    x1,
                    y1,
                    x2,
                    y2,
                    color,
                } => {
                    let _ = writeln!(
                        s,
                        "<line x1=\"{}\" y1=\"{}\" x2=\"{}\" y2=\"{}\" stroke=\"{}\" \
                         shape-rendering=\"crispEdges\"/>",
                        num(*x1),
                        num(*y1),
                        num(*x2),
                        num(*y2),
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

    /// The figure as an RGB PNG image of `width × height` pixels.
    pub fn to_png(&self) -> Vec<u8> {
        let (w, h) = (self.width.max(1) as usize, self.height.max(1) as usize);
        let mut px = Raster {
            w,
            h,
            buf: vec![0u8; w * h * 3],
        };
        px.fill(0, 0, w as i64, h as i64, self.background);
        for it in &self.items {
            match it {
                Item::Rect {
                    x, y, w, h, fill, ..
                } => {
                    let x0 = x.round() as i64;
                    let y0 = y.round() as i64;
                    let x1 = ((x + w).round() as i64).max(x0 + 1);
                    let y1 = ((y + h).round() as i64).max(y0 + 1);
                    px.fill(x0, y0, x1, y1, *fill);
                }
                Item::Line {
                    x1,
                    y1,
                    x2,
                    y2,
                    color,
                } => {
                    let (ax, bx) = (x1.min(*x2).floor() as i64, x1.max(*x2).floor() as i64);
                    let (ay, by) = (y1.min(*y2).floor() as i64, y1.max(*y2).floor() as i64);
                    px.fill(ax, ay, bx + 1, by + 1, *color);
                }
                Item::Text {
                    x,
                    y,
                    text,
                    anchor,
                    color,
                } => {
                    let width = text.chars().count() as f64 * CHAR_W;
                    let left = match anchor {
                        Anchor::Start => *x,
                        Anchor::Middle => x - width / 2.0,
                        Anchor::End => x - width,
                    };
                    let top = (y - TEXT_H + 1.0).round() as i64;
                    for (i, c) in text.chars().enumerate() {
                        let gx = (left + i as f64 * CHAR_W).round() as i64;
                        px.glyph(gx, top, c, *color);
                    }
                }
            }
        }
        let mut out = Vec::new();
        {
            let mut enc = png::Encoder::new(&mut out, w as u32, h as u32);
            enc.set_color(png::ColorType::Rgb);
            enc.set_depth(png::BitDepth::Eight);
            enc.set_compression(png::Compression::Fast);
            // writing into a Vec cannot fail for a well-formed image of this size
            if let Ok(mut wr) = enc.write_header() {
                let _ = wr.write_image_data(&px.buf);
            }
        }
        out
    }
}

struct Raster {
    w: usize,
    h: usize,
    buf: Vec<u8>,
}

impl Raster {
    fn fill(&mut self, x0: i64, y0: i64, x1: i64, y1: i64, c: Color) {
        let cx = |v: i64| v.clamp(0, self.w as i64) as usize;
        let cy = |v: i64| v.clamp(0, self.h as i64) as usize;
        let (x0, x1, y0, y1) = (cx(x0), cx(x1), cy(y0), cy(y1));
        if x0 >= x1 {
            return;
        }
        for y in y0..y1 {
            let row = &mut self.buf[(y * self.w + x0) * 3..(y * self.w + x1) * 3];
            for p in row.chunks_exact_mut(3) {
                p[0] = c.0;
                p[1] = c.1;
                p[2] = c.2;
            }
        }
    }

    fn glyph(&mut self, x: i64, y: i64, ch: char, c: Color) {
        let idx = if ch.is_ascii() {
            ch as usize
        } else {
            b'?' as usize
        };
        let rows = font8x8::legacy::BASIC_LEGACY[idx];
        for (dy, bits) in rows.iter().enumerate() {
            for dx in 0..8 {
                if bits & (1 << dx) != 0 {
                    self.fill(x + dx, y + dy as i64, x + dx + 1, y + dy as i64 + 1, c);
                }
            }
        }
    }
}
