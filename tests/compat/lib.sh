# SPDX-License-Identifier: GPL-2.0-or-later
#
# Shared helpers for the tests/compat scripts (sourced, not run): Debian
# chroots made with debootstrap, the host's mirror, phase timings, cleanup.
# Everything here needs root (debootstrap, chroot, mount).

COMPAT_CACHE=${XSAN_COMPAT_CACHE:-/var/cache/xsan-compat}
# Cached chroots and downloads older than this are rebuilt: sid moves daily.
COMPAT_MAX_AGE_DAYS=${XSAN_COMPAT_MAX_AGE_DAYS:-3}
COMPAT_PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin

say() { printf '== %s\n' "$*" >&2; }
die() { printf 'compat: %s\n' "$*" >&2; exit 1; }

# VERSION (Wireshark major.minor) -> the Debian suite that ships it.
suite_for() {
  case $1 in
    4.0) echo bookworm ;;
    4.4) echo trixie ;;
    4.6) echo sid ;;
    *) die "unknown Wireshark version '$1' (want 4.0, 4.4 or 4.6)" ;;
  esac
}

# The Debian mirror the host's apt sources name (not the security one), so
# chroots use the same (possibly frozen) archive as the host.
host_mirror() {
  if [ -n "${XSAN_COMPAT_MIRROR:-}" ]; then echo "$XSAN_COMPAT_MIRROR"; return; fi
  m=$( {
    cat /etc/apt/sources.list.d/*.sources 2>/dev/null | sed -n 's/^URIs:[[:space:]]*//p' | tr ' ' '\n'
    cat /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null |
      sed -nE 's/^deb[[:space:]]+(\[[^]]*\][[:space:]]+)?([^[:space:]]+).*/\2/p'
  } | grep -v security | grep -E '/debian/?$' | head -n 1)
  echo "${m:-http://deb.debian.org/debian}"
}

need_root() { [ "$(id -u)" = 0 ] || die "must run as root (debootstrap, chroot, mount)"; }

# debootstrap is not part of the project's dependencies: install it on demand.
need_debootstrap() {
  command -v debootstrap >/dev/null && return
  say "installing debootstrap on the host (apt-get)"
  DEBIAN_FRONTEND=noninteractive apt-get update -q >/dev/null
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends debootstrap </dev/null
}

# true when FILE is missing or older than COMPAT_MAX_AGE_DAYS.
is_stale() {
  [ -e "$1" ] || return 0
  [ -n "$(find "$1" -maxdepth 0 -mtime +"$((COMPAT_MAX_AGE_DAYS - 1))" 2>/dev/null)" ]
}

# ---- timings -------------------------------------------------------------
TIMINGS=
_t0=
_phase=
phase_start() { _phase=$1; _t0=$(date +%s.%N); say "$1"; }
phase_end() {
  dt=$(awk -v a="$_t0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }')
  TIMINGS="${TIMINGS}$(printf '  %-28s %8s s  %s' "$_phase" "$dt" "${1:-ok}")
"
  _phase=
}
print_timings() {
  [ -n "$_phase" ] && phase_end "interrupted/failed"
  [ -n "$TIMINGS" ] || return 0
  printf '\n== Timings (%s)\n%s' "$1" "$TIMINGS" >&2
}

# ---- chroots -------------------------------------------------------------
# Refuse to delete a tree that still has something mounted below it.
safe_rm_tree() {
  [ -e "$1" ] || return 0
  if findmnt -rn -o TARGET | grep -q "^$1/"; then
    die "refusing to delete $1: something is still mounted below it"
  fi
  rm -rf --one-file-system "$1"
}

# Sets TARBALL to a pristine minbase tarball of SUITE, made by debootstrap
# when missing, stale or FRESH=1. Pristine = nothing of the project installed.
pristine_tarball() {
  suite=$1
  tarball=$COMPAT_CACHE/$suite-minbase.tar
  # shellcheck disable=SC2034  # used by the callers
  TARBALL=$tarball
  mkdir -p "$COMPAT_CACHE"
  # Several scripts share the tarball (each with chroots of its own): one
  # makes it at a time, the others wait and reuse it.
  exec 8>"$COMPAT_CACHE/$suite-minbase.lock"
  flock -w 3600 8 || die "another script holds $COMPAT_CACHE/$suite-minbase.lock"
  if [ "${FRESH:-0}" = 1 ] || is_stale "$tarball"; then
    need_debootstrap
    tmp=$COMPAT_CACHE/.$suite-debootstrap
    safe_rm_tree "$tmp"
    mirror=$(host_mirror)
    phase_start "debootstrap $suite"
    say "debootstrap --variant=minbase $suite from $mirror"
    if ! debootstrap --variant=minbase "$suite" "$tmp" "$mirror" >"$COMPAT_CACHE/$suite-debootstrap.log" 2>&1; then
      tail -n 30 "$COMPAT_CACHE/$suite-debootstrap.log" >&2
      die "debootstrap $suite failed (log: $COMPAT_CACHE/$suite-debootstrap.log)"
    fi
    tar -C "$tmp" -cf "$tarball.tmp" .
    mv "$tarball.tmp" "$tarball"
    safe_rm_tree "$tmp"
    phase_end
  else
    say "reusing $tarball (made $(date -r "$tarball" '+%F %R'))"
  fi
  exec 8>&-
}

# Unpack a pristine tarball into DIR and make it usable for apt.
unpack_chroot() {
  tarball=$1 dir=$2
  safe_rm_tree "$dir"
  mkdir -p "$dir"
  tar -C "$dir" -xf "$tarball"
  prepare_chroot "$dir"
}

# Settings that belong to this environment, not to the project.
prepare_chroot() {
  dir=$1
  cp -L /etc/resolv.conf "$dir/etc/resolv.conf" 2>/dev/null || true
  # The host's mirror is frozen; sid's Release file carries a 7-day Valid-Until.
  echo 'Acquire::Check-Valid-Until "false";' >"$dir/etc/apt/apt.conf.d/99xsan-compat"
  # No daemons may start inside the chroot.
  printf '#!/bin/sh\nexit 101\n' >"$dir/usr/sbin/policy-rc.d"
  chmod 755 "$dir/usr/sbin/policy-rc.d"
}

# /proc is not strictly needed (see the notes) but mounting it avoids
# surprises in tools that read /proc/self; unmounted again by unmount_all.
MOUNTED=
mount_chroot() {
  dir=$1
  if ! mountpoint -q "$dir/proc" && mount -t proc proc "$dir/proc" 2>/dev/null; then
    MOUNTED="$dir/proc $MOUNTED"
  fi
}
unmount_all() {
  kill_child
  for m in $MOUNTED; do umount "$m" 2>/dev/null || umount -l "$m" || true; done
  MOUNTED=
}

# Run a command in the chroot as root: clean environment, CI=true, no stdin.
# It runs in its own process group in the background so that a signal to
# this script is handled at once (bash defers traps while a foreground child
# runs) and kill_child can end the whole tree before /proc is unmounted.
CHILD=
in_chroot() {
  dir=$1; shift
  setsid chroot "$dir" /usr/bin/env -i PATH="$COMPAT_PATH" HOME=/root LANG=C.UTF-8 \
    TERM=dumb CI=true DEBIAN_FRONTEND=noninteractive "$@" </dev/null &
  CHILD=$!
  _rc=0
  wait "$CHILD" || _rc=$?
  CHILD=
  return "$_rc"
}
kill_child() {
  [ -n "$CHILD" ] || return 0
  kill -TERM -- "-$CHILD" 2>/dev/null || true
  for _ in 1 2 3 4 5 6 7 8 9 10; do
    kill -0 -- "-$CHILD" 2>/dev/null || break
    sleep 0.5
  done
  kill -KILL -- "-$CHILD" 2>/dev/null || true
  CHILD=
}

# Copy what a clone of the repo would hold (tracked files as they are in the
# work tree plus untracked, non-ignored files) into DEST.
copy_worktree() {
  repo=$1 dest=$2
  mkdir -p "$dest"
  # safe.directory: root copying a tree owned by a developer.
  (cd "$repo" && git -c safe.directory="$repo" ls-files -z --cached --others --exclude-standard |
    while IFS= read -r -d '' f; do
      # A tracked file deleted in the work tree is not there in a clone either.
      { [ -e "$f" ] || [ -L "$f" ]; } && printf '%s\0' "$f"
    done | tar --null --no-recursion -T - -cf -) | tar -C "$dest" -xf -
}

# CI clones the repo with shared/ beside it; tests read ../shared/ (the
# spec, the corpus) and skip what is missing. XSAN_COMPAT_SHARED overrides.
copy_shared() {
  repo=$1 dest=$2
  shared=${XSAN_COMPAT_SHARED:-$repo/../shared}
  rm -rf "$dest"
  if [ -d "$shared" ]; then
    cp -a "$shared/." "$dest"
  else
    say "no shared/ beside the repo: tests that need it will skip"
  fi
}
