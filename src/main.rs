//! Thin entry point: build the real context, run, exit with what `run` returns.

use idm_auth::Ctx;

fn main() -> std::process::ExitCode {
    // A bug must still end as a plain message and the documented "unexpected failure" code,
    // not a backtrace dump.
    std::panic::set_hook(Box::new(|info| {
        eprintln!("error: internal error (a bug, please report it): {info}");
        std::process::exit(1);
    }));
    let ctx = Ctx::real().with_store_opener(idm_auth::store_choice::open_chosen);
    let code = idm_auth::run(std::env::args_os(), &ctx);
    // A Windows command's status that `exec` passes on may not fit std's ExitCode (0..=255):
    // that one is ended with as it is.
    code.as_std()
        .unwrap_or_else(|| std::process::exit(code.code()))
}
