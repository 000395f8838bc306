//! Charts drawn on the server as SVG: no script, they print, and tests read them like any
//! HTML. Each is `role="img"` with a `<title>`; the page shows the same figures in a table.
//! Colours come from presentation attributes, since the page's CSP allows no inline style.

use std::fmt::Write;

use super::fmt::esc;

const WIDTH: f64 = 640.0;
const ACTIVATED: &str = "#1d6b4f";
const FAILED: &str = "#c0633a";

/// A bar of a horizontal bar chart.
pub struct Bar {
    pub label: String,
    pub value: f64,
    /// The value as the reader writes it.
    pub text: String,
}

/// Horizontal bars, longest first as given; empty when there is nothing to draw.
pub fn bars(title: &str, items: &[Bar]) -> String {
    if items.is_empty() {
        return String::new();
    }
    let row = 28.0;
    let label_w = 210.0;
    let height = row * items.len() as f64 + 8.0;
    let max = items
        .iter()
        .map(|b| b.value)
        .fold(0.0_f64, f64::max)
        .max(f64::MIN_POSITIVE);
    let span = WIDTH - label_w - 90.0;
    let mut s = format!(
        r##"<svg class="chart" viewBox="0 0 {WIDTH} {height}" role="img" aria-labelledby="c-{id}"><title id="c-{id}">{t}</title>"##,
        id = slug(title),
        t = esc(title)
    );
    for (i, b) in items.iter().enumerate() {
        let y = 4.0 + row * i as f64;
        let w = (b.value.max(0.0) / max * span).max(1.0);
        let label: String = b.label.chars().take(30).collect();
        let _ = write!(
            s,
            r##"<text x="{lx}" y="{ty}" text-anchor="end" font-size="13" fill="#222">{l}</text><rect x="{label_w}" y="{ry}" width="{w:.1}" height="18" fill="{ACTIVATED}"/><text x="{vx:.1}" y="{ty}" font-size="13" fill="#222">{v}</text>"##,
            lx = label_w - 6.0,
            ty = y + 14.0,
            ry = y + 1.0,
            l = esc(&label),
            vx = label_w + w + 5.0,
            v = esc(&b.text),
        );
    }
    s.push_str("</svg>");
    s
}

/// A point of a column chart: activations and failures of one day, week or month.
pub struct Column {
    pub label: String,
    pub activated: i64,
    pub failed: i64,
}

/// Stacked columns (activations at the bottom, failures on top), a label under every few.
pub fn columns(title: &str, legend: (&str, &str), items: &[Column]) -> String {
    if items.is_empty() {
        return String::new();
    }
    let height = 220.0;
    let (top, bottom, left) = (24.0, 34.0, 40.0);
    let plot_h = height - top - bottom;
    let max = items
        .iter()
        .map(|c| c.activated + c.failed)
        .max()
        .unwrap_or(0)
        .max(1) as f64;
    let step = (WIDTH - left - 8.0) / items.len() as f64;
    let bar_w = (step * 0.8).max(0.5);
    let every = (items.len() as f64 / 8.0).ceil().max(1.0) as usize;
    let mut s = format!(
        r##"<svg class="chart" viewBox="0 0 {WIDTH} {height}" role="img" aria-labelledby="c-{id}"><title id="c-{id}">{t}</title>"##,
        id = slug(title),
        t = esc(title)
    );
    let _ = write!(
        s,
        r##"<rect x="{left}" y="4" width="12" height="12" fill="{ACTIVATED}"/><text x="{x1}" y="14" font-size="12" fill="#222">{a}</text><rect x="{x2}" y="4" width="12" height="12" fill="{FAILED}"/><text x="{x3}" y="14" font-size="12" fill="#222">{f}</text><text x="{lx}" y="{ty}" font-size="11" text-anchor="end" fill="#555">{max}</text><line x1="{left}" y1="{base}" x2="{WIDTH}" y2="{base}" stroke="#999"/>"##,
        x1 = left + 16.0,
        x2 = left + 130.0,
        x3 = left + 146.0,
        a = esc(legend.0),
        f = esc(legend.1),
        lx = left - 4.0,
        ty = top + 10.0,
        base = top + plot_h,
        max = max as i64,
    );
    for (i, c) in items.iter().enumerate() {
        let x = left + step * i as f64 + (step - bar_w) / 2.0;
        let ha = c.activated.max(0) as f64 / max * plot_h;
        let hf = c.failed.max(0) as f64 / max * plot_h;
        let ya = top + plot_h - ha;
        let yf = ya - hf;
        let _ = write!(
            s,
            r##"<rect x="{x:.1}" y="{ya:.1}" width="{bar_w:.1}" height="{ha:.1}" fill="{ACTIVATED}"/><rect x="{x:.1}" y="{yf:.1}" width="{bar_w:.1}" height="{hf:.1}" fill="{FAILED}"/>"##
        );
        if i % every == 0 {
            let _ = write!(
                s,
                r##"<text x="{x:.1}" y="{ly}" font-size="11" fill="#555">{l}</text>"##,
                ly = height - bottom + 16.0,
                l = esc(&c.label)
            );
        }
    }
    s.push_str("</svg>");
    s
}

/// How far along the target is: a bar filled to `fraction` (0 to 1).
pub fn progress(title: &str, fraction: f64) -> String {
    let f = if fraction.is_finite() {
        fraction.clamp(0.0, 1.0)
    } else {
        0.0
    };
    format!(
        r##"<svg class="chart progress" viewBox="0 0 {WIDTH} 28" role="img" aria-labelledby="c-{id}"><title id="c-{id}">{t}</title><rect x="0" y="4" width="{WIDTH}" height="20" fill="#e3e8e5"/><rect x="0" y="4" width="{w:.1}" height="20" fill="{ACTIVATED}"/></svg>"##,
        id = slug(title),
        t = esc(title),
        w = (f * WIDTH).max(1.0),
    )
}

fn slug(title: &str) -> String {
    title
        .chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .take(24)
        .collect::<String>()
        .to_ascii_lowercase()
}
