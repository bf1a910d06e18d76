# cargo_tool NAME VERSION: make sure the cargo subcommand NAME is installed at VERSION,
# with `cargo install --locked` into the cargo home's bin (~/.cargo/bin) the first time,
# and reused afterwards. Source it from the repository's root.
cargo_tool() {
    local name=$1 version=$2 sub=${1#cargo-}
    if cargo "$sub" --version 2>/dev/null | grep -qF -- "$version"; then
        return 0
    fi
    echo "==> installing $name $version (cargo install --locked, once)" >&2
    nice cargo install --locked --quiet "$name@$version" >&2
}
