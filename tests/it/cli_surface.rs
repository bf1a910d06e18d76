//! The command-line surface as users and scripts meet it: `--help` of every subcommand and
//! the common usage errors, as snapshots (tests/cmd/*.trycmd, refreshed with
//! `TRYCMD=overwrite cargo test --test it cli_surface::`), and the committed man page
//! (refreshed with `IDM_AUTH_BLESS=1 cargo test --test it cli_surface::`), built from clap and
//! docs/reference.md's tables; a refreshing run writes, then fails, so only the plain run
//! after it can pass.
use crate::support::bless;

use clap::CommandFactory;

#[test]
fn help_and_usage_errors_match_the_snapshots() {
    let cases = trycmd::TestCases::new();
    cases
        .register_bin(
            "idm-auth",
            std::path::Path::new(env!("CARGO_BIN_EXE_idm-auth")),
        )
        .env("COLUMNS", "100")
        .env("NO_COLOR", "1")
        .case("tests/cmd/*.trycmd");
    bless::run_snapshots(&cases, "tests/cmd/*.trycmd");
}

#[test]
fn the_committed_man_page_is_current() {
    let page = man_page();
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("man/idm-auth.1");
    if std::env::var_os("IDM_AUTH_BLESS").is_some() {
        std::fs::write(&path, &page).unwrap();
        bless::blessed(&path);
    }
    let committed = std::fs::read_to_string(&path).expect("the committed man/idm-auth.1");
    assert!(
        committed == page,
        "man/idm-auth.1 is stale: regenerate with `IDM_AUTH_BLESS=1 cargo test --test it cli_surface::`"
    );
}

/// The page names no other page but those that exist: there is one page, idm-auth(1), and
/// every command is in it.
#[test]
fn the_man_page_has_every_section_and_no_missing_references() {
    let page = man_page();
    for section in [
        "NAME",
        "SYNOPSIS",
        "DESCRIPTION",
        "OPTIONS",
        "COMMANDS",
        "EXIT STATUS",
        "ENVIRONMENT",
        "FILES",
        "EXAMPLES",
    ] {
        assert!(
            page.contains(&format!(".SH \"{section}\""))
                || page.contains(&format!(".SH {section}\n")),
            "no {section} section"
        );
    }
    assert!(
        !page.contains("idm\\-auth\\-"),
        "a reference to a page that does not exist"
    );
    for command in idm_auth::cli::Cli::command().get_subcommands() {
        let name = command.get_name().replace('-', "\\-");
        assert!(
            page.contains(&format!(".SS \"idm\\-auth {name}")),
            "{name} is not described"
        );
    }
    for code in idm_auth::error::ExitCode::ALL {
        assert!(
            page.contains(&format!("\n.TP\n{}\n", code.code()))
                || page.contains(&format!(", {}\n", code.code()))
                || page.contains(&format!("\n.TP\n{}, ", code.code())),
            "exit code {} is not in EXIT STATUS",
            code.code()
        );
    }
}

/// The man page: clap's name, synopsis, description and global options; every command with
/// its own usage, text and options (one page, so it references no other); then EXIT STATUS,
/// ENVIRONMENT and FILES from docs/reference.md, the one place they are kept, and EXAMPLES.
fn man_page() -> String {
    let mut page = Vec::new();
    let man = clap_mangen::Man::new(idm_auth::cli::Cli::command());
    man.render_title(&mut page).unwrap();
    man.render_name_section(&mut page).unwrap();
    man.render_synopsis_section(&mut page).unwrap();
    man.render_description_section(&mut page).unwrap();
    man.render_options_section(&mut page).unwrap();
    let mut page = String::from_utf8(page).unwrap();
    page.push_str(".SH COMMANDS\n");
    let mut cli = idm_auth::cli::Cli::command();
    cli.build();
    for command in cli.get_subcommands() {
        describe_command(&mut page, "idm-auth", command);
    }
    let reference = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/reference.md"),
    )
    .unwrap();
    page.push_str(".SH \"EXIT STATUS\"\n");
    page.push_str(&table_as_roff(section(&reference, "## Exit codes")));
    page.push_str(".SH ENVIRONMENT\n");
    page.push_str(&table_as_roff(section(&reference, "## Environment")));
    page.push_str(".SH FILES\n");
    page.push_str(&list_as_roff(section(&reference, "## Files")));
    page.push_str(".SH EXAMPLES\n");
    for (what, line) in EXAMPLES {
        page.push_str(&format!(".TP\n{}\n{}\n", roff(line), roff(what)));
    }
    page.push_str(".SH \"SEE ALSO\"\nREADME.md (the tasks) and docs/reference.md (this page\\*(Aqs tables, and the JSON shapes) in idm\\-auth\\*(Aqs source.\n");
    page
}

const EXAMPLES: [(&str, &str); 7] = [
    ("Try everything against the built-in UPS simulator.", "idm-auth demo"),
    (
        "Keep the app's client id, and its client secret in the keyring, in the default profile.",
        "idm-auth config init --client-id AbC123 --client-secret-stdin < secret.txt",
    ),
    ("Opt a UPS.com user in.", "idm-auth authorize --label 'Jane Doe (shipping)'"),
    ("The same over SSH: open the printed address on your own computer, paste back where it ends.", "idm-auth authorize --no-browser"),
    (
        "Call a UPS API with a valid token.",
        "curl -H \"Authorization: Bearer $(idm-auth token)\" https://wwwcie.ups.com/api/...",
    ),
    (
        "A crontab line: silent while all is well, so cron mails only a problem.",
        "0 7 * * * idm-auth check --quiet --within 14",
    ),
    ("Dissolve an opt-in.", "idm-auth clear 3f9c2a1b"),
];

fn describe_command(page: &mut String, parent: &str, command: &clap::Command) {
    if command.get_name() == "help" {
        return;
    }
    let name = format!("{parent} {}", command.get_name());
    if command.has_subcommands() {
        for sub in command.get_subcommands() {
            describe_command(page, &name, sub);
        }
        return;
    }
    let usage = command.clone().render_usage().to_string();
    let usage = usage
        .trim_start_matches("Usage: ")
        .replace("\n       ", " | ");
    page.push_str(&format!(".SS \"{}\"\n", roff(&name)));
    page.push_str(&format!("\\fB{}\\fR\n.PP\n", roff(&usage)));
    let about = command
        .get_long_about()
        .or(command.get_about())
        .map(|a| a.to_string())
        .unwrap_or_default();
    page.push_str(&format!("{}\n", roff(&about)));
    for arg in command.get_arguments() {
        if arg.is_global_set()
            || arg.is_hide_set()
            || matches!(arg.get_id().as_str(), "help" | "version")
        {
            continue;
        }
        let what = match (arg.get_long(), arg.get_short()) {
            (Some(long), Some(short)) => format!("-{short}, --{long}"),
            (Some(long), None) => format!("--{long}"),
            _ => arg
                .get_value_names()
                .map(|v| {
                    v.iter()
                        .map(|n| format!("<{n}>"))
                        .collect::<Vec<_>>()
                        .join(" ")
                })
                .unwrap_or_else(|| arg.get_id().to_string()),
        };
        let value = match (arg.get_long(), arg.get_value_names()) {
            (Some(_), Some(names)) if arg.get_action().takes_values() => {
                format!(
                    " {}",
                    names
                        .iter()
                        .map(|n| format!("<{n}>"))
                        .collect::<Vec<_>>()
                        .join(" ")
                )
            }
            _ => String::new(),
        };
        let help = arg
            .get_long_help()
            .or(arg.get_help())
            .map(|h| h.to_string())
            .unwrap_or_default();
        page.push_str(&format!(
            ".TP\n\\fB{}\\fR{}\n{}\n",
            roff(&what),
            roff(&value),
            roff(&help)
        ));
    }
}

/// The text from `heading` to the next heading of its level.
fn section<'a>(text: &'a str, heading: &str) -> &'a str {
    let start = text
        .find(&format!("{heading}\n"))
        .unwrap_or_else(|| panic!("docs/reference.md has no `{heading}`"));
    let body = &text[start + heading.len() + 1..];
    &body[..body.find("\n## ").unwrap_or(body.len())]
}

/// A markdown table's rows (after its head) as `.TP` entries.
fn table_as_roff(text: &str) -> String {
    text.lines()
        .filter(|l| l.starts_with('|'))
        .skip(2)
        .map(|row| {
            let cells: Vec<&str> = row.trim_matches('|').splitn(2, " | ").collect();
            format!(
                ".TP\n{}\n{}\n",
                roff(&plain(cells[0])),
                roff(&plain(cells[1]))
            )
        })
        .collect()
}

/// A markdown list's items as `.IP` paragraphs.
fn list_as_roff(text: &str) -> String {
    let mut out = String::new();
    for item in text.trim().split("\n- ") {
        let joined: Vec<&str> = item
            .trim_start_matches("- ")
            .lines()
            .map(str::trim)
            .collect();
        out.push_str(&format!(
            ".IP \\(bu 2\n{}\n",
            roff(&plain(&joined.join(" ")))
        ));
    }
    out
}

/// Markdown to plain text: code marks dropped, `[text](link)` as its text.
fn plain(text: &str) -> String {
    let mut out = text.trim().replace('`', "").replace("\\|", "|");
    while let Some(open) = out.find("](") {
        let close = out[open..].find(')').map_or(out.len(), |c| open + c + 1);
        let start = out[..open].rfind('[').unwrap_or(open);
        let label = out[start + 1..open].to_string();
        out.replace_range(start..close, &label);
    }
    out
}

/// Text for roff: backslashes and hyphens escaped, no line that starts a request.
fn roff(text: &str) -> String {
    let escaped = text.replace('\\', "\\e").replace('-', "\\-");
    escaped
        .lines()
        .map(|l| match l.starts_with(['.', '\'']) {
            true => format!("\\&{l}"),
            false => l.to_string(),
        })
        .collect::<Vec<_>>()
        .join("\n")
}
