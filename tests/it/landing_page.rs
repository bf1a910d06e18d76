//! What the browser's landing page and the waiting terminal tell the admin: the page says
//! "complete" only once the tokens are stored, and says "failed" (with the terminal's reason)
//! when the exchange fails after the redirect; the hint follows UPS's own words; a pasted
//! address is taken even while a browser that was launched never comes back.
use crate::support;
use std::io::Write;
use std::process::Stdio;
use support::*;

/// A public (PKCE-only) app at UPS, and an admin who gives a client secret anyway: UPS
/// refuses the exchange after the redirect ("Authorization Header not allowed for a PKCE
/// client"). Before the fix the page said "UPS opt-in complete ... worked" and the hint
/// blamed an unknown client id.
#[test]
fn a_failed_exchange_after_the_redirect_is_a_failure_on_the_page_too() {
    let sandbox = Sandbox::new();
    let sim = Sim::start(&[]);
    let port = free_port();
    let run = Run::from(
        sandbox
            .authorize(&sim, port, 30)
            .env("IDM_AUTH_CLIENT_SECRET", "a-secret-this-app-does-not-have")
            .env("BROWSER", sandbox.browser("approve", "browser.json"))
            .output()
            .unwrap(),
    );
    assert_eq!(run.code, ExitCode::Ups, "{run:?}");
    assert!(
        run.stderr
            .contains("Authorization Header not allowed for a PKCE client"),
        "UPS's words are shown: {run:?}"
    );
    let hint = run
        .stderr
        .lines()
        .find(|l| l.starts_with("hint: "))
        .unwrap_or_else(|| panic!("a hint: {run:?}"));
    assert!(hint.contains("PKCE"), "{hint}");
    assert!(!hint.contains("does not know client id"), "{hint}");
    let page = sandbox.browser_log("browser.json")["final_body"]
        .as_str()
        .expect("the landing page's text")
        .to_string();
    assert!(page.contains("UPS opt-in failed"), "{page}");
    assert!(!page.contains("complete"), "{page}");
    assert!(
        page.contains("Authorization Header not allowed for a PKCE client"),
        "the page gives the terminal's reason: {page}"
    );
    assert!(sandbox.list_json().is_empty(), "no opt-in was made");
}

#[test]
fn the_page_says_complete_once_the_tokens_are_stored() {
    let sandbox = Sandbox::new();
    let sim = Sim::confidential(&[]);
    let port = free_port();
    let run = Run::from(
        sandbox
            .authorize(&sim, port, 30)
            .env("IDM_AUTH_CLIENT_SECRET", sim.secret.as_deref().unwrap())
            .env("BROWSER", sandbox.browser("approve", "browser.json"))
            .output()
            .unwrap(),
    );
    assert_eq!(run.code, ExitCode::Success, "{run:?}");
    let page = sandbox.browser_log("browser.json")["final_body"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(page.contains("UPS opt-in complete"), "{page}");
    assert_eq!(sandbox.list_json().len(), 1);
}

/// A browser command that reports success and shows nothing (Wine's hand-off to xdg-open
/// with no display, an xdg-open with no handler): the admin pastes the address the real
/// browser ended on, and it is taken. Before the fix it was ignored and the run timed out.
#[test]
fn a_pasted_address_is_taken_while_a_launched_browser_never_comes_back() {
    let sandbox = Sandbox::new();
    let sim = Sim::start(&[]);
    let port = free_port();
    let mut cmd = sandbox.authorize(&sim, port, 20);
    cmd.env("BROWSER", "true").stdin(Stdio::piped());
    let mut waiting = Waiting::start(&mut cmd);
    let landed = approve_at_simulator(&waiting.url);
    let mut stdin = waiting.child.stdin.take().unwrap();
    writeln!(stdin, "{landed}").unwrap();
    drop(stdin);
    let run = waiting.finish();
    assert_eq!(run.code, ExitCode::Success, "{run:?}");
    assert!(
        run.stderr
            .contains("or for the address the browser ended on, pasted here"),
        "the waiting line says a pasted address is taken: {run:?}"
    );
    assert_eq!(run.stdout.trim().len(), 8, "{run:?}");
}
