//! The README, run: its quick start against the simulator (every command exits 0, and every
//! line it prints on stdout is the README's, up to ids, times, ports and tokens), and its
//! crontab line as cron runs it (no terminal, output captured: nothing while all is well).
use crate::support;
use chrono::Duration;
use std::io::{BufRead, BufReader};
use std::os::unix::process::CommandExt;
use std::process::{Child, Command, Stdio};
use support::fixture::Row;
use support::*;

fn readme() -> String {
    std::fs::read_to_string(repo_path("README.md")).unwrap()
}

/// The text of the section that starts with `heading`, up to the next heading of any level.
fn section(text: &str, heading: &str) -> String {
    let start = text
        .find(&format!("\n{heading}\n"))
        .unwrap_or_else(|| panic!("README has no `{heading}`"));
    let body = &text[start + heading.len() + 2..];
    let end = body
        .find("\n## ")
        .into_iter()
        .chain(body.find("\n### "))
        .min()
        .unwrap_or(body.len());
    body[..end].to_string()
}

/// The `console` blocks of `text`, each as its commands with the lines shown after them.
fn console_steps(text: &str) -> Vec<(String, Vec<String>)> {
    let mut steps: Vec<(String, Vec<String>)> = Vec::new();
    let mut inside = false;
    for line in text.lines() {
        match (inside, line) {
            (false, "```console") => inside = true,
            (true, "```") => inside = false,
            (true, l) if l.starts_with("$ ") => steps.push((l[2..].to_string(), Vec::new())),
            (true, l) => steps
                .last_mut()
                .expect("output before a command")
                .1
                .push(l.to_string()),
            _ => {}
        }
    }
    steps
}

/// A line with what changes from run to run (ids, times, ports, tokens, counts: any word
/// with a digit in it) masked and white space collapsed.
fn shape(line: &str) -> String {
    let mut out = Vec::new();
    for word in line.split_whitespace() {
        let masked: String = word
            .split_inclusive(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
            .map(|part| {
                let (body, sep) = part
                    .char_indices()
                    .last()
                    .filter(|(_, c)| !(c.is_ascii_alphanumeric() || *c == '_'))
                    .map_or((part, ""), |(i, _)| (&part[..i], &part[i..]));
                match body.chars().any(|c| c.is_ascii_digit()) {
                    true => format!("#{sep}"),
                    false => format!("{body}{sep}"),
                }
            })
            .collect();
        out.push(masked);
    }
    out.join(" ")
}

/// The environment the README's reader has: this sandbox's dirs and keyring, `idm-auth` on
/// the PATH, a browser that presses Approve.
fn shell(sandbox: &Sandbox, line: &str) -> Command {
    let bin_dir = std::path::Path::new(BIN).parent().unwrap();
    let path = format!(
        "{}:{}",
        bin_dir.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let template = sandbox.cmd(&[]);
    let mut sh = Command::new("sh");
    sh.args(["-c", line]).stdin(Stdio::null());
    for (key, value) in template.get_envs() {
        match value {
            Some(v) => sh.env(key, v),
            None => sh.env_remove(key),
        };
    }
    sh.env("PATH", path)
        .env("BROWSER", sandbox.browser("approve", "browser.json"));
    sh
}

/// A command the README runs in the background (`... &`), in a process group of its own,
/// which is ended whole when the test ends, pass or fail (`sh -c` may keep a shell between
/// us and the program).
struct Background(Child);

impl Drop for Background {
    fn drop(&mut self) {
        let group = format!("-{}", self.0.id());
        let _ = Command::new("kill").args(["--", &group]).status();
        let _ = self.0.wait();
    }
}

#[test]
fn the_quick_start_runs_against_the_simulator_as_written() {
    let steps = console_steps(&section(&readme(), "## Quick start"));
    let commands: Vec<&str> = steps.iter().map(|(c, _)| c.as_str()).collect();
    for wanted in [
        "idm-auth demo",
        "config init",
        "authorize",
        "token",
        "exec",
        "check",
    ] {
        assert!(
            commands.iter().any(|c| c.contains(wanted)),
            "the quick start has no `{wanted}`: {commands:?}"
        );
    }
    let sandbox = Sandbox::new();
    // The README's simulator on a port of this test's own, everywhere the README names it.
    let port = free_port().to_string();
    let with_port = |text: &str| text.replace("9100", &port);
    let mut simulator = None;
    for (command, shown) in &steps {
        let command = with_port(command);
        if let Some(background) = command.strip_suffix(" &") {
            let mut child = shell(&sandbox, background)
                .stdout(Stdio::piped())
                .stderr(Stdio::null())
                .process_group(0)
                .spawn()
                .unwrap();
            // Its first line, the base URL, says it listens.
            let mut first = String::new();
            BufReader::new(child.stdout.take().unwrap())
                .read_line(&mut first)
                .unwrap();
            assert!(first.contains(&port), "{first}");
            simulator = Some(Background(child));
            continue;
        }
        let run = Run::from(shell(&sandbox, &command).output().unwrap());
        assert_eq!(run.code, ExitCode::Success, "`{command}`: {run:?}");
        let shown: Vec<String> = shown.iter().map(|l| shape(&with_port(l))).collect();
        let mut rest = shown.iter();
        for line in run.stdout.lines() {
            let line = shape(line);
            assert!(
                rest.any(|s| *s == line),
                "`{command}` printed `{line}`, which the README does not show (in that order): {shown:#?}"
            );
        }
    }
    drop(simulator);
    let rows = sandbox.list_json();
    assert_eq!(rows.len(), 1, "{rows:?}");
    assert_eq!(rows[0]["label"], "Jane Doe (shipping)");
}

/// The crontab line of the README, run as cron runs it: `sh -c`, no terminal, a bare
/// environment, everything it prints captured (cron mails it). Silent on success; on a
/// problem it names the opt-in. Before, `check` said "All 1 opt-ins are usable ..." every
/// day, and cron mailed it.
#[test]
fn the_cron_line_is_silent_while_all_is_well_and_speaks_when_not() {
    let text = section(&readme(), "### A daily check with cron");
    let job = text
        .lines()
        .find_map(|l| l.strip_prefix("0 7 * * *"))
        .expect("a crontab line")
        .trim()
        .to_string();
    let as_cron = |sandbox: &Sandbox| {
        let bin_dir = std::path::Path::new(BIN).parent().unwrap();
        let mut cmd = Command::new("/bin/sh");
        cmd.env_clear()
            .args(["-c", &job])
            .env("PATH", format!("{}:/usr/bin:/bin", bin_dir.display()))
            .env("SHELL", "/bin/sh")
            .stdin(Stdio::null());
        for (key, value) in sandbox.cmd(&[]).get_envs() {
            if let Some(value) = value {
                cmd.env(key, value);
            }
        }
        Run::from(cmd.output().unwrap())
    };
    let healthy = Sandbox::new();
    healthy.write_index(&[Row::new("3f9c2a1b").label("Jane Doe")]);
    let run = as_cron(&healthy);
    assert_eq!(run.code, ExitCode::Success, "{run:?}");
    assert_eq!(
        (run.stdout.as_str(), run.stderr.as_str()),
        ("", ""),
        "cron would mail this"
    );

    let ending = Sandbox::new();
    ending.write_index(&[Row::new("0badc0de")
        .label("ends soon")
        .refresh_expires(Duration::days(3))]);
    let run = as_cron(&ending);
    assert_eq!(run.code, ExitCode::ExpiresSoon, "{run:?}");
    assert!(
        run.stderr.contains("0badc0de (ends soon)") && run.stderr.contains("warning: "),
        "the mail says which opt-in and what: {run:?}"
    );
}
