//! The language of an answer's texts, and messages written in both.

use std::borrow::Cow;

use actix_web::http::header::{AcceptLanguage, Header, Preference};
use actix_web::{HttpMessage, HttpRequest};

/// The language of the texts in an answer: `Accept-Language: id` gives Indonesian.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Lang {
    #[default]
    En,
    Id,
}

impl Lang {
    /// The language the client weighs highest in `Accept-Language`, read by actix's typed
    /// header (quality values honoured, the first of equals wins, `q=0` never): Indonesian
    /// for `id` (or its old code `in`), English for anything else, or for no usable header.
    pub fn of(msg: &impl HttpMessage) -> Lang {
        match AcceptLanguage::parse(msg).map(|accept| accept.preference()) {
            Ok(Preference::Specific(tag))
                if ["id", "in"]
                    .iter()
                    .any(|code| tag.primary_language().eq_ignore_ascii_case(code)) =>
            {
                Lang::Id
            }
            _ => Lang::En,
        }
    }

    pub fn from_request(req: &HttpRequest) -> Lang {
        Lang::of(req)
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

#[cfg(test)]
mod tests {
    use super::*;

    fn lang(header: &str) -> Lang {
        let req = actix_web::test::TestRequest::default()
            .insert_header(("accept-language", header))
            .to_http_request();
        Lang::of(&req)
    }

    #[test]
    fn the_highest_weighted_language_wins() {
        assert_eq!(lang("id"), Lang::Id);
        assert_eq!(lang("id-ID,en;q=0.8"), Lang::Id);
        assert_eq!(lang("en;q=0.5, id;q=0.8"), Lang::Id);
        assert_eq!(lang("en, id"), Lang::En);
        assert_eq!(lang("in"), Lang::Id);
        assert_eq!(lang("id;q=0, en;q=0.1"), Lang::En);
        assert_eq!(lang("*"), Lang::En);
        assert_eq!(lang("id;q=nonsense"), Lang::En);
        let none = actix_web::test::TestRequest::default().to_http_request();
        assert_eq!(Lang::of(&none), Lang::En);
    }
}
