//! One opt-in with a real headless Chromium as the browser: it loads the simulated UPS
//! consent page, a click on Approve sends it through the redirect to the loopback listener.
use crate::support;
use support::*;

#[test]
fn a_real_headless_chromium_completes_the_opt_in() {
    let sandbox = Sandbox::new();
    let sim = Sim::start(&[]);
    let port = free_port();
    let run = sandbox
        .authorize(&sim, port, 90)
        .env("BROWSER", sandbox.chromium_browser("chromium.json"))
        .exec();
    assert_eq!(run.code, ExitCode::Success, "{run:?}");
    let id = run.stdout.trim();
    assert!(secret_tool_lookup(id, "access-token").is_some());
    let log = sandbox.browser_log("chromium.json");
    assert!(
        log["final_text"]
            .as_str()
            .unwrap_or("")
            .contains("You can close this tab"),
        "{log}"
    );
}
