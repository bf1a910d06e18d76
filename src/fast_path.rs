//! The command line of `token` read without clap. Scripts run `idm-auth token` before every
//! UPS API call, so its cost is the process start, and clap building its whole command tree
//! (every subcommand, argument and help text) is a visible part of it. Only the plain shapes
//! are recognised here: `token`, an optional ID, `--profile NAME` / `--profile=NAME` and
//! `-q` / `--quiet`, each at most once, in any order clap accepts. Anything else (help,
//! `--`, a value that looks like a flag, a repeated flag, non-UTF-8 text, another command)
//! returns None and goes to clap, so every message and exit code stays clap's. A test
//! compares the two on every short command line built from the relevant words.

use crate::cli::{Cli, Command, TokenArgs};
use std::ffi::OsString;

/// The `Cli` that clap would produce for `args` (argv without the program name), when they
/// are one of the plain `token` shapes; None otherwise.
pub fn token_command(args: &[OsString]) -> Option<Cli> {
    let mut profile: Option<String> = None;
    let mut quiet = false;
    let mut seen_token = false;
    let mut id: Option<String> = None;
    let mut args = args.iter();
    while let Some(arg) = args.next() {
        let arg = arg.to_str()?;
        match arg {
            "-q" | "--quiet" if !quiet => quiet = true,
            "--profile" if profile.is_none() => profile = Some(plain_value(args.next()?)?),
            _ if arg.starts_with("--profile=") && profile.is_none() => {
                profile = Some(plain_value_str(&arg["--profile=".len()..])?)
            }
            "token" if !seen_token => seen_token = true,
            _ if seen_token && id.is_none() => id = Some(plain_value_str(arg)?),
            _ => return None,
        }
    }
    seen_token.then_some(Cli {
        profile,
        quiet,
        // `--store` is left to clap: its value needs clap's parser.
        store: None,
        command: Command::Token(TokenArgs { id }),
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
                let Some(fast) = token_command(&args) else {
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
        // token, token ID, with or without --profile/-q in their places: many shapes.
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
        ] {
            let args: Vec<OsString> = line.split(' ').map(OsString::from).collect();
            assert!(token_command(&args).is_some(), "{line:?} went to clap");
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
            "list",
            "",
        ] {
            let args: Vec<OsString> = line.split(' ').map(OsString::from).collect();
            assert!(
                token_command(&args).is_none(),
                "{line:?} took the fast path"
            );
        }
        #[cfg(unix)]
        {
            use std::os::unix::ffi::OsStringExt;
            let not_utf8 = [OsString::from("token"), OsString::from_vec(vec![0xff])];
            assert!(token_command(&not_utf8).is_none());
        }
    }
}
