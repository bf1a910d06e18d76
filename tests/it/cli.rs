//! The command-line surface: clap's own consistency checks, the committed completions, and
//! exit codes for usage errors.
use crate::support;
use clap::CommandFactory;
use support::*;

#[test]
fn the_clap_definition_is_consistent() {
    idm_auth::cli::Cli::command().debug_assert();
}

#[test]
fn committed_completions_match_the_binary() {
    for (shell, file) in [
        ("bash", "idm-auth.bash"),
        ("zsh", "_idm-auth"),
        ("fish", "idm-auth.fish"),
        ("powershell", "_idm-auth.ps1"),
        ("elvish", "idm-auth.elv"),
    ] {
        let run = Sandbox::new().run(&["completions", shell]);
        assert_eq!(run.code, ExitCode::Success, "{run:?}");
        let committed = std::fs::read_to_string(repo_path(&format!("completions/{file}")))
            .unwrap_or_else(|e| panic!("completions/{file}: {e}"));
        assert!(
            committed == run.stdout,
            "completions/{file} is stale: regenerate with `idm-auth completions {shell} > completions/{file}`"
        );
    }
}

#[test]
fn usage_errors_exit_2_with_a_suggestion() {
    let run = Sandbox::new().run(&["lsit"]);
    assert_eq!(run.code, ExitCode::Usage, "{run:?}");
    assert!(run.stderr.contains("list"), "{run:?}");
}

#[test]
fn help_and_version_exit_0() {
    let sandbox = Sandbox::new();
    assert_eq!(sandbox.run(&["--help"]).code, ExitCode::Success);
    let run = sandbox.run(&["--version"]);
    assert_eq!(run.code, ExitCode::Success);
    assert!(run.stdout.starts_with("idm-auth "));
}

/// Scripts branch on the exit-code table of docs/reference.md (the man page's EXIT STATUS
/// is made from it): every row is an `ExitCode` with that number, and every `ExitCode` is a
/// row.
#[test]
fn the_exit_codes_are_the_references_table() {
    let reference = std::fs::read_to_string(repo_path("docs/reference.md")).unwrap();
    let table = reference
        .split("## Exit codes")
        .nth(1)
        .expect("docs/reference.md has an exit-code section");
    let mut documented: Vec<i32> = table
        .lines()
        .skip_while(|l| !l.starts_with("| code"))
        .skip(2)
        .take_while(|l| l.starts_with('|'))
        .flat_map(|row| {
            row.split('|').nth(1).unwrap().split(',').map(move |n| {
                n.trim()
                    .parse::<i32>()
                    .unwrap_or_else(|e| panic!("{row}: {e}"))
            })
        })
        .collect();
    documented.sort();
    let mut ours: Vec<i32> = ExitCode::ALL.iter().map(|c| c.code()).collect();
    ours.sort();
    assert_eq!(ours, documented);
    for code in ExitCode::ALL {
        assert_eq!(ExitCode::from_code(code.code()), Some(code));
    }
}
