//! Every input kept under fuzz/regressions/<target>/ (the seeds, and any input a fuzzer
//! ever crashed on) goes through the same checks as its fuzz target, in the normal suite.
#[path = "../../fuzz/harness.rs"]
mod harness;

/// One fuzz target's checks.
type Check = fn(&[u8]);

#[test]
fn every_kept_fuzz_input_passes_its_target_checks() {
    let targets: [(&str, Check); 4] = [
        ("callback_request", harness::callback_request),
        ("token_response", harness::token_response),
        ("error_response", harness::error_response),
        ("index_file", harness::index_file),
    ];
    for (target, check) in targets {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("fuzz/regressions")
            .join(target);
        let inputs: Vec<_> = std::fs::read_dir(&dir)
            .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
            .map(|e| e.unwrap().path())
            .collect();
        assert!(!inputs.is_empty(), "no inputs kept for {target}");
        for input in inputs {
            let data = std::fs::read(&input).unwrap();
            let outcome = std::panic::catch_unwind(|| check(&data));
            assert!(outcome.is_ok(), "{target} fails on {}", input.display());
        }
    }
}
