//! The README's demo walk-through, run as written: its shell blocks go to `bash` against a
//! server holding the demo data, and every figure its answer blocks show must be in what the
//! commands print. A README that drifts from the server fails here.

use std::collections::HashMap;

use crate::helpers::*;

/// One shell block of the walk-through and the answer block shown after it, if any.
struct Step {
    line: usize,
    script: String,
    expected: Option<String>,
}

/// The shell blocks of "Try it with the demo data" from the one that sets `API=` on (the
/// ones before build and start the server, which the test does itself), each with the
/// `json` or `text` block that follows it.
fn walkthrough(readme: &str) -> Vec<Step> {
    let start = readme
        .find("## Try it with the demo data")
        .expect("the demo section");
    let end = readme[start + 3..]
        .find("\n## ")
        .map(|i| start + 3 + i)
        .unwrap_or(readme.len());
    let first_line = readme[..start].lines().count();
    let mut steps: Vec<Step> = Vec::new();
    let mut lines = readme[start..end].lines().enumerate();
    let mut started = false;
    while let Some((i, line)) = lines.next() {
        let Some(info) = line.strip_prefix("```") else {
            continue;
        };
        let mut body = String::new();
        for (_, l) in lines.by_ref() {
            if l.starts_with("```") {
                break;
            }
            body.push_str(l);
            body.push('\n');
        }
        match info.trim() {
            "sh" => {
                started |= body.contains("API=");
                if started {
                    steps.push(Step {
                        line: first_line + i + 1,
                        script: body,
                        expected: None,
                    });
                }
            }
            "json" | "text" => {
                if let Some(last) = steps.last_mut().filter(|s| s.expected.is_none()) {
                    last.expected = Some(body);
                }
            }
            _ => {}
        }
    }
    steps
}

/// The facts an answer block states: every `"key":value` pair whose value is shown whole (a
/// number, `true`/`false`/`null`, or a string without an ellipsis), and for text, every line
/// without one.
fn facts(expected: &str) -> Vec<String> {
    if !expected.trim_start().starts_with('{') {
        return expected
            .lines()
            .filter(|l| !l.contains('…') && !l.trim().is_empty())
            .map(str::to_string)
            .collect();
    }
    let mut out = Vec::new();
    let mut i = 0;
    while let Some(off) = expected[i..].find("\":") {
        let colon = i + off + 1;
        let key_start = expected[..colon - 1].rfind('"').expect("a key");
        let value = &expected[colon + 1..];
        let end = if let Some(inner) = value.strip_prefix('"') {
            inner.find('"').map(|e| e + 2)
        } else {
            value.find([',', '}', ']', '\n'])
        };
        if let Some(end) = end {
            let v = &value[..end];
            let nested = v.starts_with('{') || v.starts_with('[');
            if !v.contains('…') && !v.is_empty() && !nested {
                out.push(format!("{}:{}", &expected[key_start..colon], v.trim()));
            }
        }
        i = colon;
    }
    out
}

#[tokio::test]
async fn the_readmes_demo_walkthrough_runs_as_written_and_shows_the_servers_figures() {
    for tool in ["bash", "curl", "python3"] {
        let found = std::process::Command::new("sh")
            .args(["-c", &format!("command -v {tool}")])
            .output()
            .map(|o| o.status.success())
            .unwrap_or(false);
        assert!(found, "the README's walk-through needs {tool}: install it");
    }
    let readme = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md"))
        .expect("README.md");
    let steps = walkthrough(&readme);
    assert!(
        steps.len() >= 8,
        "the walk-through's blocks were not found ({})",
        steps.len()
    );

    // A clean clone's `jemput seed demo` (no root office of its own), then the server.
    let (url, _dir) = fresh_database();
    seed_demo(&url).await.expect("load the demo");
    let db = jemput::db::Db::connect(&url, 4).expect("open");
    let app = jemput::startup::Application::build_with_db(
        jemput::config::Settings::for_database(&url),
        db,
    )
    .await
    .expect("serve");
    let address = format!("http://127.0.0.1:{}", app.port());
    tokio::spawn(app.server());

    // One shell runs every block in order (they share variables), each block's output
    // between markers.
    let mut script = String::from("set -u\n");
    for (n, step) in steps.iter().enumerate() {
        let body = step
            .script
            .replace("http://127.0.0.1:8080", &address)
            .replace("localhost:8080", &address);
        script.push_str(&format!(
            "echo '@@step {n}'\n{body}\n__status=$?\necho\necho \"@@status {n} $__status\"\n"
        ));
    }
    let workdir = tempfile::tempdir().expect("tempdir");
    let cwd = workdir.path().to_path_buf();
    let out = tokio::task::spawn_blocking(move || {
        std::process::Command::new("bash")
            .arg("-c")
            .arg(script)
            .current_dir(&cwd)
            // `mktemp -d` in the walk-through lands in the test's own directory.
            .env("TMPDIR", &cwd)
            .output()
            .expect("run bash")
    })
    .await
    .expect("task");
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    let mut outputs: HashMap<usize, String> = HashMap::new();
    let mut current: Option<usize> = None;
    for line in stdout.lines() {
        if let Some(n) = line.strip_prefix("@@step ") {
            current = n.trim().parse().ok();
        } else if let Some(rest) = line.strip_prefix("@@status ") {
            let (n, code) = rest.split_once(' ').expect("status line");
            assert_eq!(
                code.trim(),
                "0",
                "README line {}: the block's last command failed\n{stderr}",
                steps[n.parse::<usize>().expect("n")].line
            );
        } else if let Some(n) = current {
            let o = outputs.entry(n).or_default();
            o.push_str(line);
            o.push('\n');
        }
    }
    assert!(
        !stderr.contains("unbound variable") && !stderr.contains("command not found"),
        "{stderr}"
    );
    let mut checked = 0;
    for (n, step) in steps.iter().enumerate() {
        let Some(expected) = &step.expected else {
            continue;
        };
        let got = outputs.get(&n).cloned().unwrap_or_default();
        for fact in facts(expected) {
            assert!(
                got.contains(&fact),
                "README line {}: `{fact}` is not in what the commands printed:\n{got}",
                step.line
            );
            checked += 1;
        }
    }
    assert!(checked >= 50, "only {checked} figures were checked");
    // The walk-through wrote its files into its own directory, none into the clone.
    let root = env!("CARGO_MANIFEST_DIR");
    for f in ["open.json", "batch.json", "tanahlaut-channels-2024.csv"] {
        assert!(
            !std::path::Path::new(root).join(f).exists(),
            "{f} was written into the repository"
        );
    }
}
