//! The command lines scripts run most, read without clap: `token` before every UPS API call
//! and `list --json` in monitoring, whose cost is mostly the process start, of which clap
//! building its whole command tree (every subcommand, argument and help text) is a visible
//! part. Only the plain shapes are recognised here: `token` with an optional ID, or `list`
//! with an optional `--json`, plus `--profile NAME` / `--profile=NAME` and `-q` / `--quiet`,
//! each at most once, in any order clap accepts. Anything else (help, `--`, a value that
//! looks like a flag, a repeated flag, non-UTF-8 text, another command) returns None and goes
//! to clap, so every message and exit code stays clap's. A test compares the two on every
//! short command line built from the relevant words.

use crate::cli::{Cli, Command, ListArgs, TokenArgs};
use std::ffi::OsString;

/// Which of the fast commands the line names.
enum Seen {
    Nothing,
    Token { id: Option<String> },
    List { json: bool },
}

/// The `Cli` that clap would produce for `args` (argv without the program name), when they
/// are one of the plain `token` or `list` shapes; None otherwise.
pub fn plain_command(args: &[OsString]) -> Option<Cli> {
    let mut profile: Option<String> = None;
    let mut quiet = false;
    let mut seen = Seen::Nothing;
    let mut args = args.iter();
    while let Some(arg) = args.next() {
        let arg = arg.to_str()?;
        match (arg, &mut seen) {
            ("-q" | "--quiet", _) if !quiet => quiet = true,
            ("--profile", _) if profile.is_none() => profile = Some(plain_value(args.next()?)?),
            (_, _) if arg.starts_with("--profile=") && profile.is_none() => {
                profile = Some(plain_value_str(&arg["--profile=".len()..])?)
            }
            ("token", Seen::Nothing) => seen = Seen::Token { id: None },
            ("list", Seen::Nothing) => seen = Seen::List { json: false },
            ("--json", Seen::List { json }) if !*json => *json = true,
            (_, Seen::Token { id }) if id.is_none() => *id = Some(plain_value_str(arg)?),
            _ => return None,
        }
    }
    let command = match seen {
        Seen::Nothing => return None,
        Seen::Token { id } => Command::Token(TokenArgs { id, json: false }),
        Seen::List { json } => Command::List(ListArgs { json }),
    };
    Some(Cli {
        profile,
        quiet,
        // `--store` is left to clap: its value needs clap's parser.
        store: None,
        command,
    })
}

fn plain_value(value: &OsString) -> Option<String> {
    plain_value_str(value.to_str()?)
}

/// A value clap takes as it is: not empty, and not something it could read as a flag.
fn plain_value_str(value: &str) -> Option<String> {
    (!value.is_empty() && !value.starts_with('-')).then(|| value.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    /// Every command line of up to four words from these is read by both; wherever the fast
    /// path answers, clap must give the very same `Cli`.
    const WORDS: &[&str] = &[
        "token",
        "3f9c2a1b",
        "--profile",
        "--profile=prod",
        "--profile=",
        "-q",
        "--quiet",
        "-qq",
        "--",
        "-",
        "--help",
        "-V",
        "list",
        "--json",
        "",
    ];

    fn words(n: usize, mut index: usize) -> Vec<OsString> {
        (0..n)
            .map(|_| {
                let word = WORDS[index % WORDS.len()];
                index /= WORDS.len();
                OsString::from(word)
            })
            .collect()
    }

    #[test]
    fn every_shape_it_takes_is_what_clap_makes_of_it() {
        let mut taken = 0;
        for n in 0..=4 {
            for index in 0..WORDS.len().pow(n as u32) {
                let args = words(n, index);
                let Some(fast) = plain_command(&args) else {
                    continue;
                };
                taken += 1;
                let argv = std::iter::once(OsString::from("idm-auth")).chain(args.iter().cloned());
                match Cli::try_parse_from(argv) {
                    Ok(clap) => assert_eq!(
                        format!("{fast:?}"),
                        format!("{clap:?}"),
                        "the fast path read {args:?} differently from clap"
                    ),
                    Err(e) => panic!(
                        "the fast path took {args:?}, which clap refuses: {}",
                        e.render()
                    ),
                }
            }
        }
        // token, token ID, list, list --json, with or without --profile/-q: many shapes.
        assert!(
            taken > 100,
            "the fast path took only {taken} shapes: it no longer covers `token`'s usual forms"
        );
    }

    #[test]
    fn the_usual_script_calls_take_the_fast_path() {
        for line in [
            "token",
            "token 3f9c2a1b",
            "--profile prod token",
            "token --profile=prod 3f9c2a1b",
            "-q token",
            "list",
            "list --json",
            "--profile prod list --json",
            "list --json -q",
        ] {
            let args: Vec<OsString> = line.split(' ').map(OsString::from).collect();
            assert!(plain_command(&args).is_some(), "{line:?} went to clap");
        }
    }

    #[test]
    fn anything_unusual_goes_to_clap() {
        for line in [
            "token --help",
            "token -- 3f9c2a1b",
            "token -x",
            "token a b",
            "token --profile",
            "--quiet --quiet token",
            "--profile a --profile b token",
            "list --json --json",
            "list x",
            "token --json",
            "list --help",
            "",
        ] {
            let args: Vec<OsString> = line.split(' ').map(OsString::from).collect();
            assert!(
                plain_command(&args).is_none(),
                "{line:?} took the fast path"
            );
        }
        #[cfg(unix)]
        {
            use std::os::unix::ffi::OsStringExt;
            let not_utf8 = [OsString::from("token"), OsString::from_vec(vec![0xff])];
            assert!(plain_command(&not_utf8).is_none());
        }
    }
}
