//! Numbers, money and dates the way the reader writes them: Indonesian `1.234,5`,
//! `Rp 58.333`, `31 Mei 2024`; English `1,234.5`, `IDR 58,333`, `31 May 2024`.

use chrono::{Datelike, NaiveDate};

use crate::error::Lang;
use crate::reports::sheets::Cell;

fn separators(lang: Lang) -> (char, char) {
    match lang {
        Lang::Id => ('.', ','),
        Lang::En => (',', '.'),
    }
}

fn group(digits: &str, sep: char) -> String {
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, ch) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(sep);
        }
        out.push(ch);
    }
    out
}

pub fn int(n: i64, lang: Lang) -> String {
    let (thousands, _) = separators(lang);
    let sign = if n < 0 { "-" } else { "" };
    format!("{sign}{}", group(&n.unsigned_abs().to_string(), thousands))
}

/// `x` rounded to `decimals` places.
pub fn dec(x: f64, decimals: u8, lang: Lang) -> String {
    if !x.is_finite() {
        return "–".to_string();
    }
    let (thousands, point) = separators(lang);
    let text = format!("{:.*}", decimals as usize, x.abs());
    let (whole, frac) = text.split_once('.').unwrap_or((&text, ""));
    let sign = if x < 0.0 && text.chars().any(|c| c.is_ascii_digit() && c != '0') {
        "-"
    } else {
        ""
    };
    let mut out = format!("{sign}{}", group(whole, thousands));
    if !frac.is_empty() {
        out.push(point);
        out.push_str(frac);
    }
    out
}

/// A fraction (0.452) as a percentage with one decimal (`45,2 %`).
pub fn fraction(x: f64, lang: Lang) -> String {
    percent(x * 100.0, 1, lang)
}

/// A percentage (45.2) with `decimals` places.
pub fn percent(x: f64, decimals: u8, lang: Lang) -> String {
    format!("{} %", dec(x, decimals, lang))
}

pub fn money(x: f64, lang: Lang) -> String {
    match lang {
        Lang::Id => format!("Rp {}", dec(x, 0, lang)),
        Lang::En => format!("IDR {}", dec(x, 0, lang)),
    }
}

const MONTHS_ID: [&str; 12] = [
    "Januari",
    "Februari",
    "Maret",
    "April",
    "Mei",
    "Juni",
    "Juli",
    "Agustus",
    "September",
    "Oktober",
    "November",
    "Desember",
];
const MONTHS_EN: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];

pub fn month_name(month: u32, lang: Lang) -> &'static str {
    let i = (month.clamp(1, 12) - 1) as usize;
    match lang {
        Lang::Id => MONTHS_ID[i],
        Lang::En => MONTHS_EN[i],
    }
}

pub fn date(d: NaiveDate, lang: Lang) -> String {
    format!("{} {} {}", d.day(), month_name(d.month(), lang), d.year())
}

/// A short date for chart axes: `11 Mar`.
pub fn short_date(d: NaiveDate, lang: Lang) -> String {
    let m: String = month_name(d.month(), lang).chars().take(3).collect();
    format!("{} {m}", d.day())
}

/// A report cell as text; a figure that cannot be computed is a dash.
pub fn cell(c: &Cell, lang: Lang) -> String {
    match c {
        Cell::Int(v) => int(*v, lang),
        Cell::Dec(v, d) => dec(*v, *d, lang),
        Cell::Fraction(v) => fraction(*v, lang),
        Cell::Percent(v) => percent(*v, 2, lang),
        Cell::Money(v) => money(*v, lang),
        Cell::Date(d) => date(*d, lang),
        Cell::Text(s) => s.clone(),
        Cell::Empty => "–".to_string(),
    }
}

/// Escapes text for HTML and SVG (element content and quoted attributes).
pub fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for ch in s.chars() {
        match ch {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn indonesian_style() {
        assert_eq!(int(1234567, Lang::Id), "1.234.567");
        assert_eq!(int(54, Lang::Id), "54");
        assert_eq!(dec(1234.5, 1, Lang::Id), "1.234,5");
        assert_eq!(dec(-0.04, 1, Lang::Id), "0,0");
        assert_eq!(money(21.0 * 150_000.0 / 54.0, Lang::Id), "Rp 58.333");
        assert_eq!(fraction(0.4523, Lang::Id), "45,2 %");
        let d = NaiveDate::from_ymd_opt(2024, 5, 31).expect("date");
        assert_eq!(date(d, Lang::Id), "31 Mei 2024");
        assert_eq!(date(d, Lang::En), "31 May 2024");
        assert_eq!(dec(1234.5, 1, Lang::En), "1,234.5");
    }
}
