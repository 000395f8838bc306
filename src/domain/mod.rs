//! Pure value types: each parses from raw input and cannot be built invalid. No actix and
//! no SQL here: the closed vocabularies derive diesel's row markers only, and `db` maps them
//! to TEXT on both backends (`db/text.rs`).

mod activity;
mod area;
mod enums;
mod id;
mod office;
mod text;

pub use activity::*;
pub use area::*;
pub use enums::*;
pub use id::*;
pub use office::*;
pub use text::*;

/// Declares a closed set of string values: its wire names, parsing into a 422 field error
/// that lists the allowed values, its OpenAPI schema, and its use in rows (stored as its
/// wire name; the TEXT mapping is in `db/text.rs`).
#[macro_export]
macro_rules! string_enum {
    ($(#[$meta:meta])* $name:ident { $($variant:ident => $wire:tt),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord,
                 serde::Serialize, serde::Deserialize, utoipa::ToSchema,
                 diesel::expression::AsExpression, diesel::deserialize::FromSqlRow)]
        #[diesel(sql_type = diesel::sql_types::Text)]
        pub enum $name {
            $(#[serde(rename = $wire)] $variant),+
        }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),+];
            pub const NAMES: &'static [&'static str] = &[$($wire),+];

            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $wire),+ }
            }

            /// Parses a wire name; anything else is a 422 naming `field` and the allowed values.
            pub fn parse(field: &str, value: &str) -> Result<$name, $crate::error::FieldError> {
                match value {
                    $($wire => Ok($name::$variant),)+
                    _ => Err($crate::error::FieldError::one_of(field, Self::NAMES)),
                }
            }

            /// Reads a value the database holds (written by this code, so always valid).
            pub fn from_db(value: &str) -> Result<$name, $crate::error::AppError> {
                match value {
                    $($wire => Ok($name::$variant),)+
                    other => Err($crate::error::AppError::internal(anyhow::anyhow!(
                        "unknown {} in database: {other}", stringify!($name)))),
                }
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}
