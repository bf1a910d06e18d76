//! `idm-auth demo`, the README's run command, on a headless machine.

mod support;
use support::*;

#[test]
fn the_demo_opts_in_against_the_simulator_and_prints_the_grid_headless() {
    let sandbox = Sandbox::new();
    let run = sandbox.run(&["demo"]);
    assert_eq!(run.code, ExitCode::Success, "{run:?}");
    assert!(
        run.stderr.contains("automatically"),
        "says it approved by itself: {run:?}"
    );
    let lines: Vec<&str> = run.stdout.lines().collect();
    assert!(
        lines[0].starts_with("ID") && lines[0].contains("STATUS"),
        "{run:?}"
    );
    assert!(
        lines[1].contains("demo user")
            && lines[1].contains("simulator")
            && lines[1].contains("active"),
        "{run:?}"
    );
    // The demo leaves the admin's own index alone.
    assert!(!sandbox.index_path().exists());
}
