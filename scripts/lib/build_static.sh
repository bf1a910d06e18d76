# build_static: `cargo build-static` (.cargo/config.toml) as the release builds it, with the
# paths of the cargo home and the target directory remapped out of the binary, so that the
# same commit gives the same bytes anywhere (scripts/package, scripts/bench). Source it from
# the repository's root.
build_static() {
    local cargo_home=${CARGO_HOME:-$HOME/.cargo} target_dir=${CARGO_TARGET_DIR:-$PWD/target}
    cargo build-static --config "target.x86_64-unknown-linux-gnu.rustflags = [\
'--remap-path-prefix=$cargo_home=/cargo', '--remap-path-prefix=$target_dir=/target']" "$@"
}
