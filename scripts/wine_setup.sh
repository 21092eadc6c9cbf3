#!/usr/bin/env bash
# Sets up Wine 10 for the Windows tests: a Debian 13 "trixie" chroot made with debootstrap, holding
# Debian's wine and wine64 packages and an initialised WINEPREFIX. Idempotent: a finished chroot is
# kept (it carries a marker) and the script then only checks it; a half-made one is removed and made
# again. Needs root and Debian's packages only (the apt mirror is the host's own, read from its apt
# sources). Debian 12's Wine 8.0 cannot start Deno for Windows (V8 needs MEM_RESERVE_PLACEHOLDER) and
# answers every keep-alive option with WSAENOPROTOOPT; Debian 13's Wine 10.0 runs both runtimes.
#
#   sudo bash scripts/wine_setup.sh            # prints the chroot path last
#   SOCKOPTS_WINE_ROOT=/elsewhere bash scripts/wine_setup.sh
#
# The chroot lives outside the clone (default /var/cache/sockopts-wine) so that a fresh clone on the
# same machine, as CI makes, reuses it. scripts/wine_run.sh runs a Windows program inside it.
set -euo pipefail

root=${SOCKOPTS_WINE_ROOT:-/var/cache/sockopts-wine}
chroot_dir="$root/trixie"
marker="$chroot_dir/.sockopts-wine-ready"
# Bump when the chroot's contents change, so older chroots are made again.
recipe="1 trixie wine wine64 prefix=/root/.wine-sockopts"

say() { echo "wine-setup: $*" >&2; }

if [ -f "$marker" ] && [ "$(cat "$marker")" = "$recipe" ]; then
  say "ready: $chroot_dir (Debian's wine $(chroot "$chroot_dir" dpkg-query -W -f '${Version}' wine 2>/dev/null || echo '(unknown version)'))"
  echo "$chroot_dir"
  exit 0
fi

if [ "$(id -u)" != "0" ]; then
  say "needs root (debootstrap and chroot)"
  exit 2
fi

started=$(date +%s)
if ! command -v debootstrap >/dev/null 2>&1; then
  say "installing debootstrap"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq debootstrap >/dev/null
fi

# The host's Debian mirror: the first URIs line of a deb822 source, else the first deb line.
mirror=
if compgen -G "/etc/apt/sources.list.d/*.sources" >/dev/null; then
  mirror=$(awk '/^URIs:/ { for (i = 2; i <= NF; i++) if ($i !~ /security/) { print $i; exit } }' \
    /etc/apt/sources.list.d/*.sources || true)
fi
if [ -z "$mirror" ] && [ -f /etc/apt/sources.list ]; then
  mirror=$(awk '$1 == "deb" && $0 !~ /security/ { for (i = 2; i <= NF; i++) if ($i ~ /^[a-z]+:\/\//) { print $i; exit } }' \
    /etc/apt/sources.list || true)
fi
if [ -z "$mirror" ]; then
  say "cannot find the host's Debian mirror in /etc/apt/sources.list(.d)"
  exit 2
fi

# Anything there without the marker is a half-made chroot: unmount what a killed run left and start over.
if [ -e "$chroot_dir" ]; then
  say "removing an unfinished chroot at $chroot_dir"
  for m in $(awk -v d="$chroot_dir" 'index($2, d) == 1 { print $2 }' /proc/mounts | sort -r); do
    umount -l "$m" || true
  done
  rm -rf --one-file-system "$chroot_dir"
fi
mkdir -p "$root"

say "debootstrap trixie into $chroot_dir"
debootstrap --variant=minbase --components=main trixie "$chroot_dir" "$mirror" >"$root/debootstrap.log" 2>&1 || {
  tail -20 "$root/debootstrap.log" >&2
  exit 1
}

# apt and wineboot inside the chroot need /proc and /dev; a private mount namespace drops the
# mounts when the shell ends, whatever happens.
inside() {
  unshare --mount --propagation private -- bash -c '
    set -e
    d=$1; shift
    mount -t proc proc "$d/proc"
    mount --rbind /dev "$d/dev"
    mount -t tmpfs tmpfs "$d/tmp"
    exec chroot "$d" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root LANG=C.UTF-8 "$@"
  ' inside "$chroot_dir" "$@"
}

say "installing wine and wine64 from Debian 13"
inside bash -c 'apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends wine wine64 >/dev/null && apt-get clean'

# No Mono or Gecko (they would be downloaded), no display: the tests are console programs.
say "initialising the WINEPREFIX"
inside env WINEPREFIX=/root/.wine-sockopts WINEDEBUG=-all WINEDLLOVERRIDES="mscoree,mshtml=" \
  bash -c 'wineboot --init && wineserver --wait'

echo "$recipe" >"$marker"
say "ready after $(($(date +%s) - started)) s, $(du -sh --one-file-system "$chroot_dir" | cut -f1): $(inside wine --version)"
echo "$chroot_dir"
