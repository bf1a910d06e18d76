//! UPS's answer to an `api` call, shown. A 2xx body goes to stdout: as UPS sent it, streamed
//! in bounded memory, when stdout is not a terminal; indented and coloured on a terminal;
//! filtered by `--jq`. Any other status is exit 15 with UPS's envelope on stderr as
//! `code: message` and the transId, and a hint for the codes seen in the field.

use super::exchange::Answer;
use super::pretty::Pretty;
use super::Output;
use crate::context::Ctx;
use crate::error::{Error, Result};
use crate::ups::wire::{environment_name, printable, retry_after_text};
use oauth2::reqwest::header;
use serde::Deserialize;
use std::io::{self, Read, Write};

/// `--jq` holds the whole answer in memory; more than this is refused.
const MAX_JQ_INPUT: u64 = 64 * 1024 * 1024;
/// An error answer is read this far (an envelope is a few hundred bytes).
const MAX_ERROR_BODY: u64 = 1024 * 1024;
const CHUNK: usize = 64 * 1024;

/// Show `answer` on stdout as `output` asks; an error for any status but 2xx.
pub fn show(ctx: &Ctx, mut answer: Answer, output: &Output) -> Result<()> {
    if output.include {
        ctx.print(&head(&answer))?;
    }
    if !answer.response.status().is_success() {
        return Err(failure(ctx, answer, output));
    }
    if output.silent {
        return Ok(());
    }
    let tty = ctx.stdout_is_tty();
    let colour = ctx.stdout_color();
    if let Some(filter) = &output.jq {
        let body = read_at_most(&mut answer, MAX_JQ_INPUT)?;
        if body.len() as u64 > MAX_JQ_INPUT {
            return Err(Error::Usage(format!(
                "the answer is larger than {} MB, more than --jq takes: save it without --jq and filter it with jq",
                MAX_JQ_INPUT / 1024 / 1024
            )));
        }
        for value in filter.run(&body).map_err(Error::Usage)? {
            ctx.print_bytes(&super::jq::render(&value, tty, colour))?;
        }
        return Ok(());
    }
    let json = content_type(&answer).is_some_and(|t| t.contains("json"));
    if tty && json {
        let mut pretty = Pretty::new(StdoutOf(ctx), colour);
        stream(&mut answer, |chunk| pretty.write_chunk(chunk))?;
        pretty.finish().map_err(written)?;
        Ok(())
    } else {
        stream(&mut answer, |chunk| StdoutOf(ctx).write_all(chunk))
    }
}

/// A 2xx answer's JSON body (at most `--jq`'s limit), or the error `show` would give.
pub fn json(ctx: &Ctx, mut answer: Answer, output: &Output) -> Result<serde_json::Value> {
    if !answer.response.status().is_success() {
        return Err(failure(ctx, answer, output));
    }
    let body = read_at_most(&mut answer, MAX_JQ_INPUT)?;
    serde_json::from_slice(&body).map_err(|e| Error::Api {
        message: format!(
            "UPS answered {} with a body that is not JSON ({e}; transId {})",
            answer.response.status(),
            answer.trans_id
        ),
        hint: None,
    })
}

/// Copy the body to `write` a chunk at a time as it arrives.
fn stream(answer: &mut Answer, mut write: impl FnMut(&[u8]) -> io::Result<()>) -> Result<()> {
    let mut buf = vec![0u8; CHUNK];
    loop {
        let n = match answer.response.read(&mut buf) {
            Ok(0) => return Ok(()),
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(cut_short(answer, &e)),
        };
        write(&buf[..n]).map_err(written)?;
    }
}

fn cut_short(answer: &Answer, e: &io::Error) -> Error {
    Error::Network {
        url: answer.base_url.clone(),
        reason: format!(
            "the answer broke off while it was being read ({e}; transId {}): what was written is incomplete",
            answer.trans_id
        ),
    }
}

/// The body, read up to `limit` bytes (and one more, to tell that there was more).
fn read_at_most(answer: &mut Answer, limit: u64) -> Result<Vec<u8>> {
    let mut body = Vec::new();
    (&mut answer.response)
        .take(limit + 1)
        .read_to_end(&mut body)
        .map_err(|e| cut_short(answer, &e))?;
    Ok(body)
}

/// stdout as an `io::Write`, a closed pipe kept recognisable.
struct StdoutOf<'a>(&'a Ctx);

impl Write for StdoutOf<'_> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.0.print_bytes(buf).map_err(|e| match e {
            Error::StdoutClosed => io::Error::from(io::ErrorKind::BrokenPipe),
            other => io::Error::other(other.to_string()),
        })?;
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

fn written(e: io::Error) -> Error {
    if e.kind() == io::ErrorKind::BrokenPipe {
        Error::StdoutClosed
    } else {
        Error::Other(format!("cannot write to stdout: {e}"))
    }
}

fn content_type(answer: &Answer) -> Option<&str> {
    answer
        .response
        .headers()
        .get(header::CONTENT_TYPE)?
        .to_str()
        .ok()
}

/// `-i`: the status line and the headers, as they came.
fn head(answer: &Answer) -> String {
    let response = &answer.response;
    let mut text = format!("{:?} {}\n", response.version(), response.status());
    for (name, value) in response.headers() {
        let value = String::from_utf8_lossy(value.as_bytes());
        text.push_str(&format!(
            "{name}: {}\n",
            crate::render::terminal_safe(&value)
        ));
    }
    text.push('\n');
    text
}

#[derive(Deserialize)]
struct Envelope {
    response: Option<Errors>,
}

#[derive(Deserialize)]
struct Errors {
    #[serde(default)]
    errors: Vec<ErrorItem>,
}

#[derive(Deserialize)]
struct ErrorItem {
    code: Option<String>,
    message: Option<String>,
}

/// An answer with an error status as exit 15: UPS's `code: message`s, the transId, a hint.
fn failure(ctx: &Ctx, mut answer: Answer, output: &Output) -> Error {
    let status = answer.response.status();
    let location = answer
        .response
        .headers()
        .get(header::LOCATION)
        .and_then(|v| v.to_str().ok())
        .map(printable);
    let retry_after = answer
        .response
        .headers()
        .get(header::RETRY_AFTER)
        .and_then(|v| v.to_str().ok())
        .map(retry_after_text);
    let kind = content_type(&answer).map(printable);
    let body = read_at_most(&mut answer, MAX_ERROR_BODY).unwrap_or_default();
    if output.include {
        // With -i the whole exchange is shown, the error's body too. Nobody may be reading.
        let _ = ctx.print_bytes(&body);
    }
    let items: Vec<(String, String)> = serde_json::from_slice::<Envelope>(&body)
        .ok()
        .and_then(|e| e.response)
        .map(|r| {
            r.errors
                .into_iter()
                .map(|i| {
                    (
                        printable(i.code.as_deref().unwrap_or("?")),
                        printable(i.message.as_deref().unwrap_or("(no message)")),
                    )
                })
                .collect()
        })
        .unwrap_or_default();
    let what = if !items.is_empty() {
        items
            .iter()
            .take(3)
            .map(|(code, message)| format!("{code}: {message}"))
            .collect::<Vec<_>>()
            .join("; ")
    } else if let (true, Some(to)) = (status.is_redirection(), &location) {
        format!("a redirect to {to}, which idm-auth does not follow: the token goes nowhere else")
    } else if body.is_empty() {
        "no body".into()
    } else {
        format!(
            "a body that is not UPS's error envelope ({})",
            kind.as_deref().unwrap_or("no content type")
        )
    };
    let message = format!(
        "UPS answered {status}: {what} (transId {})",
        answer.trans_id
    );
    let has = |code: &str| items.iter().any(|(c, _)| c == code);
    let says = |words: &str| {
        items
            .iter()
            .any(|(_, m)| m.to_ascii_lowercase().contains(words))
    };
    let env = environment_name(&answer.base_url);
    let hint = if status.as_u16() == 401 || has("250002") {
        let refreshed = if answer.refreshed {
            "a freshly refreshed token was refused too, so the token is not the cause of its age. "
        } else if answer.unrefreshable {
            "the opt-in was made without a client secret, so no refresh was tried (UPS offers a public client none). "
        } else {
            ""
        };
        Some(format!(
            "{refreshed}250002 is UPS's one answer for a token it does not accept: the app may lack this API product (add it, e.g. Tracking, to the app at the UPS developer portal, developer.ups.com), or the token is for the other environment (this opt-in is for {env}; CIE and production tokens are worthless at each other's APIs)"
        ))
    } else if status.as_u16() == 429 || has("10429") {
        let wait = match &retry_after {
            Some(after) => format!("UPS asks to wait {after}"),
            None => "wait a while".into(),
        };
        Some(format!(
            "slow down: UPS rate-limits API calls; {wait}{}",
            answer
                .gave_up
                .as_deref()
                .map(|g| format!(" ({g})"))
                .unwrap_or_default()
        ))
    } else if status.as_u16() == 503 {
        Some(format!(
            "UPS's service is not available just now: try again later{}",
            answer
                .gave_up
                .as_deref()
                .map(|g| format!(" ({g})"))
                .unwrap_or_default()
        ))
    } else if says("blocked merchant") {
        Some(format!(
            "UPS blocks this UPS.com user's merchant account from its APIs at {env}; only UPS can lift that"
        ))
    } else {
        None
    };
    Error::Api { message, hint }
}
