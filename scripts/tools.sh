# Sourced by scripts/start and scripts/test: installs what the build needs and is missing, and
# sets the environment both use. Idempotent: a second run only checks versions.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
CACHE="${BC_CACHE_DIR:-$HOME/.cache/billing-center}"
CARGO_LEPTOS_VERSION="0.3.10"
BINARYEN_VERSION="132"
# The wasm-bindgen CLI must match the library in Cargo.lock exactly.
WASM_BINDGEN_VERSION="$(grep -A1 '^name = "wasm-bindgen"$' "$ROOT/Cargo.lock" | sed -n 's/^version = "\(.*\)"$/\1/p')"

# Build output outside the clone, so a fresh clone (CI) rebuilds only what changed.
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$CACHE/target}"
export PATH="$HOME/.cargo/bin:$CACHE/tools/node_modules/.bin:$PATH"

say() { printf '\033[1m==> %s\033[0m\n' "$*"; }

have_version() { # command, expected version
  command -v "$1" >/dev/null 2>&1 && "$1" --version 2>/dev/null | grep -qF "$2"
}

if ! command -v cargo >/dev/null 2>&1; then
  say "installing Rust (rustup)"
  curl --proto '=https' --tlsv1.2 -sSf https://sh.rustup.rs | sh -s -- -y --profile minimal
fi

if ! rustup target list --installed | grep -qx wasm32-unknown-unknown; then
  say "adding the wasm32-unknown-unknown target"
  rustup target add wasm32-unknown-unknown
fi

if ! have_version cargo-leptos "$CARGO_LEPTOS_VERSION"; then
  say "installing cargo-leptos $CARGO_LEPTOS_VERSION (about 15 minutes once)"
  cargo install cargo-leptos --locked --version "$CARGO_LEPTOS_VERSION"
fi

if ! have_version wasm-bindgen "$WASM_BINDGEN_VERSION"; then
  say "installing wasm-bindgen-cli $WASM_BINDGEN_VERSION (about 4 minutes once)"
  # Without --locked: its own lock file names a crate version the registry no longer has.
  cargo install wasm-bindgen-cli --version "$WASM_BINDGEN_VERSION" --force
fi

# wasm-opt from npm's binaryen: Debian's binaryen is too old for the WASM rustc emits today.
if ! have_version wasm-opt "version $BINARYEN_VERSION"; then
  if ! command -v npm >/dev/null 2>&1; then
    say "installing Node.js and npm (Debian)"
    apt-get update -qq && apt-get install -y -qq nodejs npm
  fi
  say "installing wasm-opt (binaryen $BINARYEN_VERSION from npm)"
  mkdir -p "$CACHE/tools"
  npm install --silent --no-audit --no-fund --prefix "$CACHE/tools" "binaryen@$BINARYEN_VERSION"
fi

# The variables cargo-leptos sets for its cargo runs. Some crates read them at compile time, so
# `cargo test` with the same values reuses the release build instead of recompiling those crates.
leptos_build_env() {
  export LEPTOS_OUTPUT_NAME="billing-center" LEPTOS_SITE_ROOT="target/site" LEPTOS_SITE_PKG_DIR="pkg"
  export LEPTOS_SITE_ADDR="127.0.0.1:3000" LEPTOS_RELOAD_PORT="3001" LEPTOS_LIB_DIR="frontend"
  export LEPTOS_BIN_DIR="server" LEPTOS_JS_MINIFY="true" LEPTOS_HASH_FILES="true"
  export LEPTOS_HASH_FILE_NAME="hash.txt"
}

# Runs the release server binary built by `cargo leptos build --release` with its site files.
server_env() {
  export LEPTOS_SITE_ROOT="$ROOT/target/site"
  export LEPTOS_SITE_PKG_DIR="pkg"
  export LEPTOS_ENV="PROD"
}
SERVER_BIN="$CARGO_TARGET_DIR/release/server"
