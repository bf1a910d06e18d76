# The Windows (GNU) cross toolchain, shared by scripts/package (the release zip) and
# scripts/platforms (checks and the Wine suite). Source it from the repository's root.
#
# Debian's Rust 1.96 with its standard library's source (rustc-web, cargo-web, rust-web-src,
# rust-web-clippy: no rustup target can be downloaded here, so std is built from source with
# -Zbuild-std) and mingw-w64 (the linker). Everything built lives in target/platforms.

WINDOWS_GNU=x86_64-pc-windows-gnu
WINDOWS_OUT=${CARGO_TARGET_DIR:-$PWD/target}/platforms
WINDOWS_PACKAGES=(rustc-web cargo-web rust-web-src rust-web-clippy gcc-mingw-w64-x86-64)

pkg_installed() {
    dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q 'install ok installed'
}

apt_install_missing() { # apt_install_missing PACKAGE...: apt-get (as root) what is missing
    local missing=() pkg sudo=()
    for pkg in "$@"; do
        pkg_installed "$pkg" || missing+=("$pkg")
    done
    [[ ${#missing[@]} -gt 0 ]] || return 0
    if [[ $(id -u) -ne 0 ]]; then
        command -v sudo >/dev/null 2>&1 || {
            echo "need root (or sudo) to install: ${missing[*]}" >&2
            return 1
        }
        sudo=(sudo -n)
    fi
    echo "==> installing missing system packages: ${missing[*]}" >&2
    local opts=(-q -y -o DPkg::Lock::Timeout=600 -o Dpkg::Use-Pty=0)
    DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get "${opts[@]}" update >/dev/null &&
        DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get "${opts[@]}" install \
            --no-install-recommends "${missing[@]}" </dev/null >&2
}

xcargo() { # xcargo SUBCOMMAND ARGS...: Debian's cargo (or its clippy), for other targets
    local cmd=(/usr/bin/cargo "$1")
    [[ $1 == clippy ]] && cmd=(/usr/bin/cargo-clippy clippy)
    shift
    env PATH=/usr/bin:/bin RUSTC=/usr/bin/rustc CARGO=/usr/bin/cargo RUSTC_BOOTSTRAP=1 \
        RUSTC_WRAPPER= RUSTFLAGS="${XCARGO_RUSTFLAGS-}" CARGO_TARGET_DIR="$WINDOWS_OUT" \
        CARGO_INCREMENTAL=0 CARGO_TARGET_X86_64_PC_WINDOWS_GNU_LINKER=x86_64-w64-mingw32-gcc \
        "${cmd[@]}" -Zbuild-std=std,panic_abort "$@"
}
