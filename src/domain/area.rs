//! Kemendagri region codes of Indonesia's administrative areas and their levels.

use crate::error::{FieldError, Msg};
use crate::string_enum;

string_enum!(
    /// Level of an administrative area, from the province down to the village.
    AreaLevel {
        Province => "province",
        Regency => "regency",
        District => "district",
        Village => "village",
    }
);

impl AreaLevel {
    /// The level whose codes have `groups` dot-separated groups.
    fn from_groups(groups: usize) -> Option<AreaLevel> {
        match groups {
            1 => Some(AreaLevel::Province),
            2 => Some(AreaLevel::Regency),
            3 => Some(AreaLevel::District),
            4 => Some(AreaLevel::Village),
            _ => None,
        }
    }
}

/// A dotted Kemendagri area code: `63` (province), `63.01` (regency or city), `63.01.01`
/// (district), `63.01.01.2001` (village). The digit groups have fixed widths (2, 2, 2, 4), so
/// codes sort as a tree walk: a region comes right before everything inside it.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct AreaCode(String);

/// Widths of the digit groups of a code, by position.
const GROUP_WIDTHS: [usize; 4] = [2, 2, 2, 4];

impl AreaCode {
    pub fn parse(field: &str, value: &str) -> Result<AreaCode, FieldError> {
        let groups: Vec<&str> = value.split('.').collect();
        let ok = groups.len() <= GROUP_WIDTHS.len()
            && groups
                .iter()
                .zip(GROUP_WIDTHS)
                .all(|(g, width)| g.len() == width && g.bytes().all(|b| b.is_ascii_digit()));
        if ok {
            Ok(AreaCode(value.to_string()))
        } else {
            Err(FieldError::new(
                field,
                "invalid_code",
                Msg::new(
                    "Must be a dotted Kemendagri area code such as 63, 63.01, 63.01.01 or 63.01.01.2001.",
                    "Harus kode wilayah Kemendagri bertitik seperti 63, 63.01, 63.01.01 atau 63.01.01.2001.",
                ),
            ))
        }
    }

    /// Is this area the region `office_code` or inside it? Every area is inside the nation
    /// (`ID`). Compared by whole groups, so `63.10.01` is not inside `63.1`.
    pub fn is_within(&self, office_code: &str) -> bool {
        office_code == "ID"
            || self.0 == office_code
            || self
                .0
                .strip_prefix(office_code)
                .is_some_and(|rest| rest.starts_with('.'))
    }

    /// The 422 of an area outside the office's region.
    pub fn outside_error(field: &str) -> FieldError {
        FieldError::new(
            field,
            "area_outside_office",
            Msg::new(
                "The area must be a district or village within the office's region.",
                "Wilayah harus kecamatan atau desa di dalam wilayah kantor.",
            ),
        )
    }

    /// The 422 of a well-formed code that names no known district or village (a retired code,
    /// a typo, or a province or regency where a district or village is wanted).
    pub fn unknown_error(field: &str) -> FieldError {
        FieldError::new(
            field,
            "unknown_area",
            Msg::new(
                "Not a known district or village code (see GET /areas).",
                "Bukan kode kecamatan atau desa yang dikenal (lihat GET /areas).",
            ),
        )
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn into_string(self) -> String {
        self.0
    }

    /// The level the code's shape names.
    pub fn level(&self) -> AreaLevel {
        // A parsed code has one to four groups.
        AreaLevel::from_groups(self.0.split('.').count()).unwrap_or(AreaLevel::Village)
    }

    /// The code of the region directly above (`None` for a province).
    pub fn parent(&self) -> Option<AreaCode> {
        self.0
            .rsplit_once('.')
            .map(|(parent, _)| AreaCode(parent.to_string()))
    }

    /// Is `other` this area or inside it?
    pub fn contains(&self, other: &AreaCode) -> bool {
        other.0 == self.0
            || other
                .0
                .strip_prefix(self.0.as_str())
                .is_some_and(|rest| rest.starts_with('.'))
    }
}

impl std::fmt::Display for AreaCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_each_level_and_finds_parents() {
        let v = AreaCode::parse("c", "63.01.01.2001").unwrap();
        assert_eq!(v.level(), AreaLevel::Village);
        assert_eq!(v.parent().unwrap().as_str(), "63.01.01");
        assert_eq!(
            AreaCode::parse("c", "63.01").unwrap().level(),
            AreaLevel::Regency
        );
        let p = AreaCode::parse("c", "63").unwrap();
        assert_eq!(p.level(), AreaLevel::Province);
        assert!(p.parent().is_none());
        assert!(p.contains(&v));
        assert!(!p.contains(&AreaCode::parse("c", "64.01").unwrap()));
    }

    #[test]
    fn areas_lie_within_their_regions() {
        let a = AreaCode::parse("area_code", "63.01.01.2001").expect("valid");
        assert!(a.is_within("63.01"));
        assert!(a.is_within("63"));
        assert!(a.is_within("ID"));
        assert!(!a.is_within("63.02"));
        assert!(!AreaCode::parse("a", "63.10.01")
            .expect("valid")
            .is_within("63.1"));
    }

    #[test]
    fn rejects_other_shapes() {
        for bad in [
            "",
            "6",
            "630",
            "63.1",
            "63.01.1",
            "63.01.01.201",
            "63.01.01.2001.1",
            "63.",
            ".63",
            "6301",
            "ID",
            "63.0a",
            " 63",
        ] {
            assert!(AreaCode::parse("c", bad).is_err(), "{bad:?} accepted");
        }
    }

    #[test]
    fn contains_needs_a_whole_group() {
        let r = AreaCode::parse("c", "63.01").unwrap();
        assert!(r.contains(&AreaCode::parse("c", "63.01.05").unwrap()));
        assert!(r.contains(&r));
        assert!(!r.contains(&AreaCode::parse("c", "63.10").unwrap()));
        assert!(!r.contains(&AreaCode::parse("c", "63").unwrap()));
    }
}
