//! A corrupt or truncated index file: every command says so clearly with exit 10, the file
//! is left exactly as it was with a copy kept aside, and it is never replaced by an empty
//! index (not even by an authorize, which finds out before the browser opens).
use crate::support;
use support::*;

#[test]
fn a_corrupt_or_truncated_index_is_reported_kept_aside_and_never_replaced() {
    let sandbox = Sandbox::new();
    let sim = Sim::start(&[]);
    let first = opt_in(&sandbox, &sim, "first");
    let second = opt_in(&sandbox, &sim, "second");
    let good = std::fs::read(sandbox.index_path()).unwrap();

    let truncated = good[..good.len() / 2].to_vec();
    let mut wrong_shape = good.clone();
    wrong_shape[0] = b'[';
    for damaged in [
        truncated,
        Vec::new(),
        b"\0\xff not json".to_vec(),
        wrong_shape,
    ] {
        std::fs::write(sandbox.index_path(), &damaged).unwrap();
        let authorize_calls = sim.stats()["authorize"].clone();
        let port = free_port();
        let mut authorize = sandbox.authorize(&sim, port, 30);
        authorize.env("BROWSER", sandbox.browser("approve", "damaged.json"));
        let mut commands = vec![
            ("list", sandbox.cmd(&["list"])),
            ("list --json", sandbox.cmd(&["list", "--json"])),
            ("token", sandbox.cmd(&["token"])),
            ("token ID", sandbox.cmd(&["token", &first])),
            ("clear ID", sandbox.cmd(&["clear", &first, "--yes"])),
            ("clear --all", sandbox.cmd(&["clear", "--all", "--yes"])),
            ("authorize", authorize),
        ];
        for (what, cmd) in &mut commands {
            let run = cmd.exec();
            assert_eq!(run.code, ExitCode::Index, "{what}: {run:?}");
            assert!(run.stdout.is_empty(), "{what}: {run:?}");
            for words in [
                "the index file is damaged",
                "left as it is",
                "a copy is kept at",
                &sandbox.index_path().display().to_string(),
            ] {
                assert!(run.stderr.contains(words), "{what}: {words}: {run:?}");
            }
            assert!(!run.stderr.contains("panicked"), "{what}: {run:?}");
            assert_eq!(
                std::fs::read(sandbox.index_path()).unwrap(),
                damaged,
                "{what} changed the damaged index"
            );
        }
        assert!(
            !sandbox.path("damaged.json").exists(),
            "no browser was opened"
        );
        assert_eq!(sim.stats()["authorize"], authorize_calls);
        let copies: Vec<_> = std::fs::read_dir(sandbox.path("data/idm-auth"))
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.to_string_lossy().contains("index.json.damaged-"))
            .filter(|p| std::fs::read(p).unwrap() == damaged)
            .collect();
        assert_eq!(copies.len(), 1, "one copy kept aside");
    }

    // Nothing was lost: with the good file back, both opt-ins and their secrets are there.
    std::fs::write(sandbox.index_path(), &good).unwrap();
    assert_eq!(sandbox.list_json().len(), 2);
    for id in [&first, &second] {
        assert!(secret_tool_lookup(id, "access-token").is_some());
    }
    assert_eq!(
        sandbox.run(&["clear", "--all", "--yes"]).code,
        ExitCode::Success
    );
}
