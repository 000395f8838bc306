//! Indonesia's administrative areas: the embedded data set loads whole and idempotently on
//! both backends, the lookups other features use, and the `/areas` read API.

use jemput::areas::repo;
use jemput::areas::seed::Counts;
use jemput::domain::AreaLevel;
use reqwest::Method;
use serde_json::Value;

use crate::helpers::*;

#[tokio::test]
async fn the_whole_data_set_loads_with_its_published_counts_and_reloads_without_duplicates() {
    let app = spawn_app().await;
    let first = app.load_areas().await;
    assert_eq!(
        first.counts,
        Counts {
            provinces: 38,
            regencies: 514,
            districts: 7_285,
            villages: 83_762,
        }
    );
    eprintln!(
        "areas load on {}: parse {:?}, write {:?}",
        backend_under_test().name(),
        first.parse,
        first.write
    );

    // Loading again replaces the set: the same counts, nothing twice.
    let second = app.load_areas().await;
    assert_eq!(second.counts, Counts::EXPECTED);
    // `code` is the primary key, so the total shows nothing was inserted twice.
    let rows = app
        .with_db(|c| {
            use diesel::prelude::*;
            jemput::schema::areas::table
                .count()
                .get_result::<i64>(c)
                .unwrap()
        })
        .await;
    assert_eq!(rows, 91_599);
}

#[tokio::test]
async fn lookups_tell_whether_a_code_lies_in_a_region_and_name_codes() {
    let app = spawn_app().await;
    app.load_areas().await;
    let app = &app;
    let within = |code: &'static str, region: &'static str| async move {
        app.with_db(move |c| repo::is_area_within(c, code, region).unwrap())
            .await
    };
    assert_eq!(
        within("63.01.01.2001", "63.01").await,
        Some(AreaLevel::Village)
    );
    assert_eq!(
        within("63.01.01", "63.01.").await,
        Some(AreaLevel::District)
    );
    assert_eq!(within("63.01.01", "63").await, Some(AreaLevel::District));
    assert_eq!(within("63.01.01", "ID").await, Some(AreaLevel::District));
    // A regency or province is not a place an event happens in.
    assert_eq!(within("63.01", "63").await, None);
    // Another regency, an unknown village, a partial group.
    assert_eq!(within("63.02.01", "63.01").await, None);
    assert_eq!(within("63.01.01.9999", "63.01").await, None);
    assert_eq!(within("63.01.01", "63.0").await, None);
    assert_eq!(within("63.01.01", "").await, Some(AreaLevel::District));

    let names = app
        .with_db(|c| repo::name_of(c, &["63.01", "63", "99.99", "63.01"]).unwrap())
        .await;
    assert_eq!(names.len(), 2);
    assert_eq!(names["63"], "Kalimantan Selatan");
    assert_eq!(names["63.01"], "Kabupaten Tanah Laut");

    let districts = app
        .with_db(|c| repo::children(c, Some("63.01")).unwrap())
        .await;
    assert_eq!(districts.first().map(|a| a.name.as_str()), Some("Takisung"));
    assert!(districts.iter().all(|a| a.level == "district"));
    let provinces = app.with_db(|c| repo::children(c, None).unwrap()).await;
    assert_eq!(provinces.len(), 38);
}

fn codes(page: &Value) -> Vec<String> {
    page["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|a| a["code"].as_str().expect("code").to_string())
        .collect()
}

#[tokio::test]
async fn any_logged_in_user_reads_areas_by_parent_level_and_name_page_by_page() {
    let app = spawn_app().await;
    app.load_areas().await;
    // Reference data: field staff of a regency office read the whole country.
    let office = app
        .create_office(&app.root_office_id, "63.01", "regency", "Asia/Makassar")
        .await;
    let staff = app.create_user(&office, "field_staff").await;

    let one = app.get("/areas/63.01.01.2001", &staff.token).await;
    let body = one.assert_status(200);
    assert_eq!(body["code"], "63.01.01.2001");
    assert_eq!(body["name"], "Benua Lawas");
    assert_eq!(body["level"], "village");
    assert_eq!(body["parent_code"], "63.01.01");
    let province = app.get("/areas/63", &staff.token).await;
    assert_eq!(province.assert_status(200)["parent_code"], Value::Null);

    let districts = app.get("/areas?parent_code=63.01", &staff.token).await;
    let page = districts.assert_status(200);
    let items = page["items"].as_array().unwrap();
    assert_eq!(items[0]["code"], "63.01.01");
    assert_eq!(items[0]["name"], "Takisung");
    assert!(items
        .iter()
        .all(|a| a["level"] == "district" && a["parent_code"] == "63.01"));
    assert_eq!(page["next_cursor"], Value::Null);

    let provinces = app
        .get("/areas?level=province&limit=500", &app.root_token)
        .await;
    let provinces = provinces.assert_status(200);
    assert_eq!(codes(provinces).len(), 38);
    assert_eq!(codes(provinces)[0], "11");

    // Keyset pages: every village of Takisung once, in code order.
    let all = app
        .get("/areas?parent_code=63.01.01&limit=500", &staff.token)
        .await;
    let all = codes(all.assert_status(200));
    assert!(all.len() > 5, "{all:?}");
    let mut walked = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let path = match &cursor {
            Some(c) => format!("/areas?parent_code=63.01.01&limit=4&cursor={c}"),
            None => "/areas?parent_code=63.01.01&limit=4".to_string(),
        };
        let page = app.get(&path, &staff.token).await;
        let page = page.assert_status(200);
        let got = codes(page);
        assert!(got.len() <= 4);
        walked.extend(got);
        match page["next_cursor"].as_str() {
            Some(c) => cursor = Some(c.to_string()),
            None => break,
        }
    }
    assert_eq!(walked, all);

    // Name search, any case, with the other filters.
    let found = app
        .get("/areas?q=TANAH%20laut&level=regency", &staff.token)
        .await;
    assert_eq!(codes(found.assert_status(200)), vec!["63.01"]);
    let quoted = app.get("/areas?q=soka%22an", &staff.token).await;
    assert_eq!(quoted.assert_status(200)["items"][0]["name"], "Soka\"an");
    // LIKE wildcards are taken literally.
    let wildcard = app.get("/areas?q=%25", &staff.token).await;
    assert_eq!(codes(wildcard.assert_status(200)).len(), 0);
    // Empty parameters count as absent; the unfiltered list walks the tree.
    let unfiltered = app.get("/areas?level=&q=&limit=3", &staff.token).await;
    assert_eq!(
        codes(unfiltered.assert_status(200)),
        vec!["11", "11.01", "11.01.01"]
    );
    // A well-formed code without children lists nothing.
    let leaf = app
        .get("/areas?parent_code=63.01.01.2001", &staff.token)
        .await;
    assert_eq!(codes(leaf.assert_status(200)).len(), 0);
}

#[tokio::test]
async fn bad_filters_answer_422_naming_every_field() {
    let app = spawn_app().await;
    let t = &app.root_token;
    let all = app
        .get(
            "/areas?limit=0&level=town&parent_code=6301&cursor=not-a-cursor",
            t,
        )
        .await;
    all.assert_problem(422, "validation_failed");
    let mut fields = all.error_fields();
    fields.sort();
    assert_eq!(fields, vec!["cursor", "level", "limit", "parent_code"]);

    for (path, field) in [
        ("/areas?limit=501", "limit"),
        ("/areas?limit=-1", "limit"),
        ("/areas?level=kecamatan", "level"),
        ("/areas?parent_code=63.1", "parent_code"),
    ] {
        let a = app.get(path, t).await;
        a.assert_problem(422, "validation_failed");
        assert_eq!(a.error_fields(), vec![field], "{path}");
    }
    let long = format!("/areas?q={}", "a".repeat(101));
    let a = app.get(&long, t).await;
    a.assert_problem(422, "validation_failed");
    assert_eq!(a.error_fields(), vec!["q"]);

    // Not a number, an unknown parameter: the query is malformed.
    app.get("/areas?limit=ten", t)
        .await
        .assert_problem(400, "malformed_request");
    app.get("/areas?province=63", t)
        .await
        .assert_problem(400, "malformed_request");
}

#[tokio::test]
async fn unknown_codes_answer_404_and_no_token_401() {
    let app = spawn_app().await;
    app.get("/areas/99.99", &app.root_token)
        .await
        .assert_problem(404, "not_found");
    app.get("/areas/not-a-code", &app.root_token)
        .await
        .assert_problem(404, "not_found");
    for path in ["/areas", "/areas/63", "/areas?level=province"] {
        let a = app.request(Method::GET, path, None, None).await;
        a.assert_problem(401, "unauthorized");
    }
    app.get("/areas", "not-a-token")
        .await
        .assert_problem(401, "unauthorized");
}
