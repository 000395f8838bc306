//! Running the `jemput` binary as an operator would, for the operations tests.

use std::process::Output;

/// The outcome of one `jemput` command.
#[derive(Debug)]
pub struct Run {
    pub ok: bool,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    #[track_caller]
    pub fn assert_ok(&self) -> &str {
        assert!(
            self.ok,
            "jemput failed:\nstdout: {}\nstderr: {}",
            self.stdout, self.stderr
        );
        &self.stdout
    }

    /// Asserts a failure whose message (stderr) contains `needle`.
    #[track_caller]
    pub fn assert_refused(&self, needle: &str) {
        assert!(!self.ok, "jemput should have failed:\n{}", self.stdout);
        assert!(
            self.stderr.contains(needle),
            "{needle:?} not in the message:\n{}",
            self.stderr
        );
        assert!(
            !self.stderr.contains("panicked"),
            "a panic, not a message:\n{}",
            self.stderr
        );
    }
}

/// Runs `jemput ARGS` with only these variables of jemput's own set (the test process's
/// `DATABASE_URL`, `JEMPUT_*` never leak in), off the async runtime.
pub async fn jemput(args: &[&str], env: &[(&str, &str)]) -> Run {
    let args: Vec<String> = args.iter().map(|s| s.to_string()).collect();
    let env: Vec<(String, String)> = env
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    tokio::task::spawn_blocking(move || {
        let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_jemput"));
        for (k, _) in std::env::vars() {
            if k == "DATABASE_URL" || k.starts_with("JEMPUT_") {
                cmd.env_remove(k);
            }
        }
        cmd.args(&args).env("JEMPUT_LOG", "warn");
        for (k, v) in &env {
            cmd.env(k, v);
        }
        let out: Output = cmd.output().expect("run jemput");
        Run {
            ok: out.status.success(),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        }
    })
    .await
    .expect("task")
}
