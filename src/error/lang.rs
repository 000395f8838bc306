//! The language of an answer's texts, and messages written in both.

use std::borrow::Cow;

use actix_web::http::header;
use actix_web::HttpRequest;

/// The language of the texts in an answer: `Accept-Language: id` gives Indonesian.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Lang {
    #[default]
    En,
    Id,
}

impl Lang {
    /// The highest-weighted language the client accepts, if it is Indonesian.
    pub fn from_accept_language(value: Option<&str>) -> Lang {
        let Some(value) = value else {
            return Lang::En;
        };
        let mut best: Option<(f32, Lang)> = None;
        for part in value.split(',') {
            let mut pieces = part.trim().split(';');
            let tag = pieces.next().unwrap_or("").trim().to_ascii_lowercase();
            let q = pieces
                .find_map(|p| p.trim().strip_prefix("q=").map(str::to_string))
                .and_then(|q| q.parse::<f32>().ok())
                .unwrap_or(1.0);
            let primary = tag.split('-').next().unwrap_or("");
            let lang = if primary == "id" || primary == "in" {
                Lang::Id
            } else {
                Lang::En
            };
            if tag.is_empty() || q <= 0.0 {
                continue;
            }
            if best.is_none_or(|(bq, _)| q > bq) {
                best = Some((q, lang));
            }
        }
        best.map(|(_, l)| l).unwrap_or(Lang::En)
    }

    pub fn from_request(req: &HttpRequest) -> Lang {
        Lang::from_accept_language(
            req.headers()
                .get(header::ACCEPT_LANGUAGE)
                .and_then(|v| v.to_str().ok()),
        )
    }
}

/// A message in both languages.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Msg {
    pub en: Cow<'static, str>,
    pub id: Cow<'static, str>,
}

impl Msg {
    pub fn new(en: impl Into<Cow<'static, str>>, id: impl Into<Cow<'static, str>>) -> Msg {
        Msg {
            en: en.into(),
            id: id.into(),
        }
    }

    pub fn get(&self, lang: Lang) -> &str {
        match lang {
            Lang::En => &self.en,
            Lang::Id => &self.id,
        }
    }
}
