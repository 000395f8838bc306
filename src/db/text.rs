//! The domain's closed vocabularies in rows: each is stored as its wire name (TEXT) on both
//! backends, and a stored name this code does not know is a read error, never a default.

use diesel::backend::Backend;
use diesel::deserialize::{self, FromSql};
use diesel::pg::Pg;
use diesel::serialize::{self, IsNull, Output, ToSql};
use diesel::sql_types::Text;
use diesel::sqlite::Sqlite;

use super::MultiBackend;
use crate::domain::{
    AgeBand, AreaLevel, EventStatus, FailureReason, OfficeLevel, Outcome, Role, Sex,
};

macro_rules! text_enum {
    ($($t:ident),+ $(,)?) => {$(
        impl FromSql<Text, Pg> for $t {
            fn from_sql(bytes: <Pg as Backend>::RawValue<'_>) -> deserialize::Result<Self> {
                let name = <String as FromSql<Text, Pg>>::from_sql(bytes)?;
                $t::from_db(&name).map_err(|e| e.to_string().into())
            }
        }

        impl FromSql<Text, Sqlite> for $t {
            fn from_sql(bytes: <Sqlite as Backend>::RawValue<'_>) -> deserialize::Result<Self> {
                let name = <String as FromSql<Text, Sqlite>>::from_sql(bytes)?;
                $t::from_db(&name).map_err(|e| e.to_string().into())
            }
        }

        impl FromSql<Text, MultiBackend> for $t {
            fn from_sql(bytes: <MultiBackend as Backend>::RawValue<'_>) -> deserialize::Result<Self> {
                bytes.from_sql::<$t, Text>()
            }
        }

        impl ToSql<Text, Pg> for $t {
            fn to_sql<'b>(&'b self, out: &mut Output<'b, '_, Pg>) -> serialize::Result {
                <str as ToSql<Text, Pg>>::to_sql(self.as_str(), out)
            }
        }

        impl ToSql<Text, Sqlite> for $t {
            fn to_sql<'b>(&'b self, out: &mut Output<'b, '_, Sqlite>) -> serialize::Result {
                <str as ToSql<Text, Sqlite>>::to_sql(self.as_str(), out)
            }
        }

        impl ToSql<Text, MultiBackend> for $t {
            fn to_sql<'b>(&'b self, out: &mut Output<'b, '_, MultiBackend>) -> serialize::Result {
                out.set_value((Text, self));
                Ok(IsNull::No)
            }
        }
    )+};
}

text_enum!(
    AgeBand,
    AreaLevel,
    EventStatus,
    FailureReason,
    OfficeLevel,
    Outcome,
    Role,
    Sex
);
