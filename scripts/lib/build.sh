#!/usr/bin/env bash
# shellcheck shell=bash
# Building rootaudit for this machine: the one place the scripts learn the
# target triple and find the release binary. Source it (scripts/run,
# scripts/demo, scripts/kit), or run it: it prints the host triple, or with
# --release-binary the path of the release binary (scripts/bench).
#
#   host_triple      the `host:` line of `rustc -vV` (x86_64-unknown-linux-gnu,
#                    aarch64-unknown-linux-gnu, ...): what cargo builds for
#                    (.cargo/config.toml: build.target = "host-tuple")
#   require_rust     fail, saying what is missing, without cargo and rustc of
#                    Cargo.toml's rust-version or newer
#   release_binary   where `cargo build --release` puts the binary
#   build_release    build it (static, for the host triple) and print its path
#
# Only bash builtins besides rustc and cargo, so that tests can run it with
# a fake `rustc` on PATH.

if [[ ${BASH_SOURCE[0]} == */* ]]; then
  ROOTAUDIT_REPO=$(cd "${BASH_SOURCE[0]%/*}/../.." && pwd)
else
  ROOTAUDIT_REPO=$(cd ../.. && pwd)
fi

# The rust-version of Cargo.toml's [package], e.g. 1.91.
rust_version() {
  local line
  while IFS= read -r line; do
    if [[ $line =~ ^rust-version[[:space:]]*=[[:space:]]*\"([0-9.]+)\" ]]; then
      printf '%s\n' "${BASH_REMATCH[1]}"
      return 0
    fi
  done <"$ROOTAUDIT_REPO/Cargo.toml"
  echo "rootaudit: no rust-version in $ROOTAUDIT_REPO/Cargo.toml" >&2
  return 1
}

# Say what is missing and how to get it (to stderr).
missing_rust() {
  local what=$1 want
  want=$(rust_version) || want="(see Cargo.toml)"
  printf '%s\n' \
    "rootaudit: cannot build: $what." \
    "rootaudit is built from source with Rust $want or newer (cargo and rustc)." \
    "Install it with rustup (https://rustup.rs), as the user who builds:" \
    "    curl --proto '=https' --tlsv1.2 -sSf https://sh.rustup.rs | sh" \
    "then open a new shell (or run: . \"\$HOME/.cargo/env\") and try again." \
    "(A distribution's packaged rustc is often older than $want.)" >&2
}

require_rust() {
  local tool
  for tool in cargo rustc; do
    if ! command -v "$tool" >/dev/null 2>&1; then
      if [ -x "${CARGO_HOME:-$HOME/.cargo}/bin/$tool" ]; then
        missing_rust "\`$tool\` is installed in ${CARGO_HOME:-$HOME/.cargo}/bin but that folder is not on PATH"
      else
        missing_rust "\`$tool\` is not on PATH (no Rust toolchain found)"
      fi
      return 1
    fi
  done
  local out line release="" want
  if ! out=$(rustc -vV 2>&1); then
    missing_rust "\`rustc -vV\` fails: ${out%%$'\n'*}"
    return 1
  fi
  while IFS= read -r line; do
    case $line in release:\ *) release=${line#release: } ;; esac
  done <<<"$out"
  want=$(rust_version) || return 1
  if ! version_at_least "$release" "$want"; then
    missing_rust "rustc ${release:-of unknown version} is older than $want (rustup update stable)"
    return 1
  fi
}

# version_at_least HAVE WANT: true when HAVE (1.95.0, 1.91.0-nightly) >= WANT (1.91).
version_at_least() {
  local have=${1%%-*} want=$2 i h w
  local -a hs ws
  IFS=. read -r -a hs <<<"$have"
  IFS=. read -r -a ws <<<"$want"
  for i in 0 1 2; do
    h=${hs[i]:-0} w=${ws[i]:-0}
    [[ $h =~ ^[0-9]+$ && $w =~ ^[0-9]+$ ]] || return 1
    ((10#$h > 10#$w)) && return 0
    ((10#$h < 10#$w)) && return 1
  done
  return 0
}

host_triple() {
  local out line
  if ! out=$(rustc -vV 2>&1); then
    missing_rust "\`rustc -vV\` fails: ${out%%$'\n'*}"
    return 1
  fi
  while IFS= read -r line; do
    case $line in
      host:\ *)
        printf '%s\n' "${line#host: }"
        return 0
        ;;
    esac
  done <<<"$out"
  echo "rootaudit: \`rustc -vV\` printed no host: line" >&2
  return 1
}

release_binary() {
  local triple
  triple=$(host_triple) || return 1
  printf '%s\n' "${CARGO_TARGET_DIR:-$ROOTAUDIT_REPO/target}/$triple/release/rootaudit"
}

build_release() {
  local triple
  require_rust || return 1
  triple=$(host_triple) || return 1
  echo "building rootaudit (release, static, $triple)..." >&2
  (cd "$ROOTAUDIT_REPO" && cargo build --release --quiet --target "$triple") || return 1
  release_binary
}

if [[ ${BASH_SOURCE[0]} == "$0" ]]; then
  set -euo pipefail
  case ${1:-} in
    "") host_triple ;;
    --release-binary) release_binary ;;
    *)
      echo "usage: $0 [--release-binary]" >&2
      exit 2
      ;;
  esac
fi
