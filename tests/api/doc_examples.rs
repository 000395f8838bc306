//! Runs the examples in `api-docs/*.md` against the real app, so the documentation cannot
//! drift from the API.
//!
//! # The example format
//!
//! An example is a fenced block with the info string `http` holding a request, followed by
//! the next `http` block holding the expected answer:
//!
//! ````markdown
//! ```http
//! POST /api/v1/events
//! Authorization: Bearer {{staff_token}}
//! Content-Type: application/json
//!
//! {"channel_key": "village_visit", "title": "Tilik Desa", ...}
//! ```
//!
//! ```http
//! HTTP/1.1 201 Created
//! Content-Type: application/json
//!
//! {"id": "{{event_id}}", "status": "open"}
//! ```
//! ````
//!
//! - **Request block**: a request line `METHOD /path?query` (an `HTTP/1.1` after it is
//!   allowed), header lines, a blank line, then the body exactly as sent (it may be invalid
//!   JSON on purpose). Nothing is added: write `Content-Type` yourself. `Host` and
//!   `Content-Length` lines are ignored.
//! - **Answer block**: `HTTP/1.1 <status> [reason]`, header lines, a blank line, an optional
//!   body. The status must be equal. Each header listed must be present and its value must
//!   start with the value given (so `Content-Type: text/csv` matches `text/csv; charset=utf-8`).
//! - **The body is a subset**: a JSON object matches when every key given is present with a
//!   matching value (other keys are ignored); a JSON array matches when its elements match
//!   elements of the answer in the same order (others may come between); the string `"..."`
//!   matches any value that is present; numbers compare by value. A body that is not JSON
//!   (CSV) matches when the answer's body starts with it.
//! - **Placeholders** `{{name}}` are replaced in the request line, headers and body. The
//!   fixture binds `admin_token` (the national admin), `supervisor_token`, `staff_token`,
//!   `office_id` (Kab. Tanah Laut, Asia/Makassar, where the supervisor and the staff member
//!   work), `province_id` (Prov. Kalimantan Selatan), `other_office_id` (Kab. Tegal, outside
//!   their scope), `supervisor_id`, `staff_id` and `event_id` (an open event of Tanah Laut on
//!   2024-03-18 with two activations and one failed attempt). `{{uuid_<anything>}}` is a fresh
//!   UUID, the same everywhere in the file. In an answer, a string that is exactly
//!   `"{{name}}"` compares with the bound value, or, when `name` is not bound yet, matches
//!   anything and binds it for the examples after it (e.g. `"next_cursor": "{{cursor}}"`).
//! - Examples run in file order against one fresh app per file. A file with no answer block
//!   has no examples and is skipped; in a file with examples, every request block needs its
//!   answer block and every answer block its request. To show an HTTP exchange that must not
//!   run, give its blocks another info string (e.g. `http norun`).

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use reqwest::Method;
use serde_json::{json, Value};

use crate::helpers::*;

/// The fixture's users log in with these.
pub const SUPERVISOR: (&str, &str) = ("sari.supervisor", "sari-passphrase-2024");
pub const STAFF: (&str, &str) = ("budi.petugas", "budi-passphrase-2024");

/// One fenced `http` block.
#[derive(Debug, Clone)]
struct Block {
    /// 1-based line of the opening fence.
    line: usize,
    first: String,
    headers: Vec<(String, String)>,
    body: String,
}

#[derive(Debug)]
struct Example {
    line: usize,
    method: String,
    target: String,
    headers: Vec<(String, String)>,
    body: String,
    status: u16,
    expect_headers: Vec<(String, String)>,
    expect_body: String,
}

/// The `http` blocks of a Markdown text.
fn http_blocks(text: &str) -> Vec<Block> {
    let mut blocks = Vec::new();
    let mut lines = text.lines().enumerate();
    while let Some((i, line)) = lines.next() {
        let trimmed = line.trim_start();
        let fence: String = trimmed
            .chars()
            .take_while(|c| *c == '`' || *c == '~')
            .collect();
        if fence.len() < 3 {
            continue;
        }
        let info = trimmed[fence.len()..].trim();
        let mut content = Vec::new();
        for (_, l) in lines.by_ref() {
            if l.trim_start().starts_with(&fence) && l.trim() == fence {
                break;
            }
            content.push(l);
        }
        if info != "http" {
            continue;
        }
        let mut rest = content
            .into_iter()
            .skip_while(|l| l.trim().is_empty())
            .peekable();
        let first = rest.next().unwrap_or("").trim().to_string();
        let mut headers = Vec::new();
        for l in rest.by_ref() {
            if l.trim().is_empty() {
                break;
            }
            if let Some((k, v)) = l.split_once(':') {
                headers.push((k.trim().to_string(), v.trim().to_string()));
            }
        }
        let body = rest.collect::<Vec<_>>().join("\n").trim().to_string();
        blocks.push(Block {
            line: i + 1,
            first,
            headers,
            body,
        });
    }
    blocks
}

fn is_answer(b: &Block) -> bool {
    b.first.starts_with("HTTP/")
}

/// The examples of a file; `Err` names a malformed one.
fn examples(text: &str) -> Result<Vec<Example>, String> {
    let blocks = http_blocks(text);
    if !blocks.iter().any(is_answer) {
        return Ok(Vec::new());
    }
    let mut out = Vec::new();
    let mut it = blocks.into_iter();
    while let Some(req) = it.next() {
        if is_answer(&req) {
            return Err(format!(
                "line {}: an answer block without a request before it",
                req.line
            ));
        }
        let Some(ans) = it.next().filter(is_answer) else {
            return Err(format!(
                "line {}: a request block without an answer block after it",
                req.line
            ));
        };
        let mut words = req.first.split_whitespace();
        let (Some(method), Some(target)) = (words.next(), words.next()) else {
            return Err(format!("line {}: no request line", req.line));
        };
        let status = ans
            .first
            .split_whitespace()
            .nth(1)
            .and_then(|s| s.parse::<u16>().ok())
            .ok_or_else(|| format!("line {}: no status in `{}`", ans.line, ans.first))?;
        out.push(Example {
            line: req.line,
            method: method.to_string(),
            target: target.to_string(),
            headers: req.headers,
            body: req.body,
            status,
            expect_headers: ans.headers,
            expect_body: ans.body,
        });
    }
    Ok(out)
}

/// `{{name}}` as a placeholder name, when the whole string is one.
fn placeholder(s: &str) -> Option<&str> {
    s.strip_prefix("{{")
        .and_then(|s| s.strip_suffix("}}"))
        .filter(|n| !n.contains('{') && !n.contains('}'))
        .map(str::trim)
}

/// Replaces every `{{name}}` in `text`; fresh UUIDs for `uuid_*`.
fn fill(text: &str, vars: &mut HashMap<String, Value>) -> Result<String, String> {
    let mut out = String::new();
    let mut rest = text;
    while let Some(start) = rest.find("{{") {
        out.push_str(&rest[..start]);
        let Some(len) = rest[start..].find("}}") else {
            return Err(format!("an unclosed placeholder in `{text}`"));
        };
        let name = rest[start + 2..start + len].trim().to_string();
        if name.starts_with("uuid_") && !vars.contains_key(&name) {
            vars.insert(name.clone(), json!(uuid::Uuid::new_v4().to_string()));
        }
        match vars.get(&name) {
            Some(Value::String(s)) => out.push_str(s),
            Some(v) => out.push_str(&v.to_string()),
            None => return Err(format!("the placeholder {{{{{name}}}}} has no value yet")),
        }
        rest = &rest[start + len + 2..];
    }
    out.push_str(rest);
    Ok(out)
}

/// Does `actual` contain `expected` (see the module docs)? Binds unbound placeholders.
fn matches(
    expected: &Value,
    actual: &Value,
    vars: &mut HashMap<String, Value>,
    at: &str,
) -> Result<(), String> {
    match expected {
        Value::String(s) if s == "..." => Ok(()),
        Value::String(s) => {
            if let Some(name) = placeholder(s) {
                if let Some(bound) = vars.get(name).cloned() {
                    return matches(&bound, actual, vars, at);
                }
                vars.insert(name.to_string(), actual.clone());
                return Ok(());
            }
            let want = fill(s, vars)?;
            if actual.as_str() == Some(want.as_str()) {
                Ok(())
            } else {
                Err(format!("{at}: expected {want:?}, got {actual}"))
            }
        }
        Value::Number(n) => match (n.as_f64(), actual.as_f64()) {
            (Some(x), Some(y)) if x == y => Ok(()),
            _ => Err(format!("{at}: expected {n}, got {actual}")),
        },
        Value::Object(map) => {
            let Some(obj) = actual.as_object() else {
                return Err(format!("{at}: expected an object, got {actual}"));
            };
            for (k, v) in map {
                let Some(a) = obj.get(k) else {
                    return Err(format!("{at}: no `{k}` in {actual}"));
                };
                matches(v, a, vars, &format!("{at}.{k}"))?;
            }
            Ok(())
        }
        Value::Array(items) => {
            let Some(arr) = actual.as_array() else {
                return Err(format!("{at}: expected an array, got {actual}"));
            };
            let mut next = 0;
            for (i, want) in items.iter().enumerate() {
                let found = (next..arr.len()).find(|j| {
                    // Try without binding first, so a failed candidate binds nothing.
                    let mut scratch = vars.clone();
                    matches(want, &arr[*j], &mut scratch, "").is_ok()
                });
                match found {
                    Some(j) => {
                        matches(want, &arr[j], vars, &format!("{at}[{j}]"))?;
                        next = j + 1;
                    }
                    None => {
                        return Err(format!(
                            "{at}: element {i} ({want}) not found in order in {actual}"
                        ))
                    }
                }
            }
            Ok(())
        }
        other if other == actual => Ok(()),
        other => Err(format!("{at}: expected {other}, got {actual}")),
    }
}

async fn run_example(
    app: &TestApp,
    ex: &Example,
    vars: &mut HashMap<String, Value>,
) -> Result<(), String> {
    let target = fill(&ex.target, vars)?;
    let method = Method::from_bytes(ex.method.as_bytes()).map_err(|e| e.to_string())?;
    let mut req = app
        .client
        .request(method, format!("{}{target}", app.address));
    for (k, v) in &ex.headers {
        if k.eq_ignore_ascii_case("host") || k.eq_ignore_ascii_case("content-length") {
            continue;
        }
        req = req.header(k.as_str(), fill(v, vars)?);
    }
    if !ex.body.is_empty() {
        req = req.body(fill(&ex.body, vars)?);
    }
    let answer = app.send(req).await;
    let shown = format!("{} {target}", ex.method);
    if answer.status.as_u16() != ex.status {
        return Err(format!(
            "{shown}: status {} instead of {}; body: {}",
            answer.status.as_u16(),
            ex.status,
            answer.text
        ));
    }
    for (k, v) in &ex.expect_headers {
        let want = fill(v, vars)?;
        match answer.header(k) {
            Some(got) if got.starts_with(&want) => {}
            got => return Err(format!("{shown}: header {k} is {got:?}, expected {want:?}")),
        }
    }
    if ex.expect_body.is_empty() {
        return Ok(());
    }
    match serde_json::from_str::<Value>(&ex.expect_body) {
        Ok(expected) => matches(&expected, &answer.json, vars, "body")
            .map_err(|e| format!("{shown}: {e}\nwhole answer: {}", answer.text)),
        Err(_) => {
            let want = fill(&ex.expect_body, vars)?.replace("\r\n", "\n");
            let got = answer.text.replace("\r\n", "\n");
            if got.starts_with(&want) {
                Ok(())
            } else {
                Err(format!(
                    "{shown}: the body does not start with\n{want}\nit is\n{got}"
                ))
            }
        }
    }
}

async fn post_id(app: &TestApp, path: &str, token: &str, body: Value) -> String {
    let a = app.post(path, token, body).await;
    a.assert_status(201)["id"].as_str().expect("id").to_string()
}

/// The fixture every file's examples run against.
async fn fixture(app: &TestApp) -> HashMap<String, Value> {
    let root = app.root_token.clone();
    let office = |parent: &str, code: &str, name: &str, level: &str, tz: &str| json!({ "parent_id": parent, "code": code, "name": name, "level": level, "timezone": tz });
    let kalsel = post_id(
        app,
        "/offices",
        &root,
        office(
            &app.root_office_id,
            "63",
            "Disdukcapil Provinsi Kalimantan Selatan",
            "province",
            "Asia/Makassar",
        ),
    )
    .await;
    let tala = post_id(
        app,
        "/offices",
        &root,
        office(
            &kalsel,
            "63.01",
            "Disdukcapil Kabupaten Tanah Laut",
            "regency",
            "Asia/Makassar",
        ),
    )
    .await;
    let jateng = post_id(
        app,
        "/offices",
        &root,
        office(
            &app.root_office_id,
            "33",
            "Disdukcapil Provinsi Jawa Tengah",
            "province",
            "Asia/Jakarta",
        ),
    )
    .await;
    let tegal = post_id(
        app,
        "/offices",
        &root,
        office(
            &jateng,
            "33.28",
            "Disdukcapil Kabupaten Tegal",
            "regency",
            "Asia/Jakarta",
        ),
    )
    .await;
    let user = |(username, password): (&str, &str), name: &str, role: &str| json!({ "username": username, "password": password, "full_name": name, "role": role, "office_id": tala });
    let supervisor_id = post_id(
        app,
        "/users",
        &root,
        user(SUPERVISOR, "Sari Rahmawati", "supervisor"),
    )
    .await;
    let staff_id = post_id(
        app,
        "/users",
        &root,
        user(STAFF, "Budi Santoso", "field_staff"),
    )
    .await;
    let supervisor_token = app.token_for(SUPERVISOR.0, SUPERVISOR.1).await;
    let staff_token = app.token_for(STAFF.0, STAFF.1).await;
    let event_id = post_id(
        app,
        "/events",
        &staff_token,
        json!({
            "channel_key": "village_visit",
            "title": "Tilik Desa Ambungan",
            "starts_at": "2024-03-18T09:00:00+08:00",
            "ends_at": "2024-03-18T15:00:00+08:00",
            "venue": "Balai Desa Ambungan",
            "cost_idr": 450000
        }),
    )
    .await;
    app.put(
        &format!("/events/{event_id}/staff/{staff_id}"),
        &supervisor_token,
        json!({ "hours": 6 }),
    )
    .await
    .assert_status(200);
    let item = |minute: u32, outcome: &str, reason: Option<&str>| {
        let mut v = json!({
            "id": uuid::Uuid::new_v4().to_string(),
            "event_id": event_id,
            "recorded_at": format!("2024-03-18T10:{minute:02}:00+08:00"),
            "outcome": outcome,
            "age_band": "40-59",
        });
        if let Some(r) = reason {
            v["failure_reason"] = json!(r);
        }
        v
    };
    let synced = app
        .sync_items(
            &staff_token,
            &[
                item(5, "activated", None),
                item(20, "activated", None),
                item(40, "failed", Some("no_smartphone")),
            ],
        )
        .await;
    for r in synced.assert_status(200)["results"]
        .as_array()
        .expect("results")
    {
        assert_eq!(r["status"], "created", "{}", synced.text);
    }
    HashMap::from([
        ("admin_token".to_string(), json!(root)),
        ("supervisor_token".to_string(), json!(supervisor_token)),
        ("staff_token".to_string(), json!(staff_token)),
        ("office_id".to_string(), json!(tala)),
        ("province_id".to_string(), json!(kalsel)),
        ("other_office_id".to_string(), json!(tegal)),
        ("supervisor_id".to_string(), json!(supervisor_id)),
        ("staff_id".to_string(), json!(staff_id)),
        ("event_id".to_string(), json!(event_id)),
    ])
}

fn doc_files() -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("api-docs");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .expect("api-docs/")
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "md"))
        .collect();
    files.sort();
    files
}

#[tokio::test]
async fn every_example_in_the_api_docs_answers_as_documented() {
    let mut ran: HashMap<String, usize> = HashMap::new();
    let mut failures = Vec::new();
    for path in doc_files() {
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().to_string())
            .unwrap_or_default();
        let text = std::fs::read_to_string(&path).expect("read doc");
        let list = match examples(&text) {
            Ok(list) => list,
            Err(e) => {
                failures.push(format!("{name}: {e}"));
                continue;
            }
        };
        if list.is_empty() {
            eprintln!("{name}: no examples in the runnable format, skipped");
            continue;
        }
        let app = spawn_app().await;
        let mut vars = fixture(&app).await;
        for ex in &list {
            if let Err(e) = run_example(&app, ex, &mut vars).await {
                failures.push(format!("{name}:{}: {e}", ex.line));
            }
        }
        ran.insert(name, list.len());
    }
    assert!(failures.is_empty(), "\n{}", failures.join("\n\n"));
    let design = ran.get("API-DESIGN.md").copied().unwrap_or(0);
    assert!(design >= 15, "API-DESIGN.md ran only {design} examples");
}

#[test]
fn the_example_format_parses_as_documented() {
    let doc = r#"
Prose.

```http
GET /api/v1/events?limit=1
Authorization: Bearer {{staff_token}}
```

```json
{"not": "an http block"}
```

```http
HTTP/1.1 200 OK
Content-Type: application/json

{"items": [{"id": "{{first}}"}], "next_cursor": "..."}
```

```http norun
DELETE /api/v1/everything
```
"#;
    let list = examples(doc).expect("parses");
    assert_eq!(list.len(), 1);
    let ex = &list[0];
    assert_eq!(
        (ex.method.as_str(), ex.target.as_str()),
        ("GET", "/api/v1/events?limit=1")
    );
    assert_eq!(ex.headers[0].0, "Authorization");
    assert_eq!(ex.status, 200);
    assert_eq!(
        ex.expect_headers,
        [("Content-Type".to_string(), "application/json".to_string())]
    );

    // A file without answers has no examples; a request left without its answer is an error.
    assert!(examples("```http\nGET /x\n```\n")
        .expect("skipped")
        .is_empty());
    assert!(
        examples("```http\nGET /x\n```\n```http\nGET /y\n```\n```http\nHTTP/1.1 200\n```\n")
            .is_err()
    );

    // Subsets, order, wildcards and binding.
    let mut vars = HashMap::new();
    let expected: Value = serde_json::from_str(&ex.expect_body).expect("json");
    let actual =
        json!({"items": [{"id": "a", "x": 1}, {"id": "b"}], "next_cursor": "c", "more": true});
    matches(&expected, &actual, &mut vars, "body").expect("matches");
    assert_eq!(vars["first"], "a");
    assert!(matches(&json!([2, 1]), &json!([1, 2]), &mut vars, "").is_err());
    assert!(matches(&json!([1, 3]), &json!([1, 2, 3]), &mut vars, "").is_ok());
    assert!(matches(&json!({"n": 1}), &json!({"n": 1.0}), &mut vars, "").is_ok());
    assert!(matches(&json!({"missing": "..."}), &json!({}), &mut vars, "").is_err());
    assert_eq!(
        fill("/events/{{first}}", &mut vars).expect("filled"),
        "/events/a"
    );
    assert!(fill("{{nobody}}", &mut vars).is_err());
}
