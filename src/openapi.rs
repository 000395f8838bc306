//! Schema pieces the features' request and response types name in their OpenAPI
//! annotations. A leaf: the document itself is assembled (from the mounted routes) and
//! served by `crate::docs`, which sits above the features; these sit below them.

/// A schema that also admits a blank string, for the values the server takes as absent
/// when blank (`?level=`, `"baseline_date": ""`), so the document does not promise a 4xx
/// the server never answers.
fn or_blank(
    schema: impl Into<utoipa::openapi::RefOr<utoipa::openapi::schema::Schema>>,
) -> utoipa::openapi::schema::Schema {
    use utoipa::openapi::schema::{ObjectBuilder, OneOfBuilder, Type};
    OneOfBuilder::new()
        .item(schema)
        .item(
            ObjectBuilder::new()
                .schema_type(Type::String)
                .max_length(Some(0))
                .description(Some("Blank: the same as absent")),
        )
        .build()
        .into()
}

/// `?level=` of `GET /areas`: an area level, or blank for every level.
pub fn area_level_or_blank() -> utoipa::openapi::schema::Schema {
    or_blank(utoipa::openapi::Ref::from_schema_name("AreaLevel"))
}

/// `baseline_date` of a target: `YYYY-MM-DD`, null or blank (no date).
pub fn date_or_blank() -> utoipa::openapi::schema::Schema {
    use utoipa::openapi::schema::{ObjectBuilder, SchemaFormat, SchemaType, Type};
    or_blank(
        ObjectBuilder::new()
            .schema_type(SchemaType::from_iter([Type::String, Type::Null]))
            .format(Some(SchemaFormat::KnownFormat(
                utoipa::openapi::KnownFormat::Date,
            )))
            .examples(["2024-01-31"]),
    )
}
