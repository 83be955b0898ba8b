#!/usr/bin/env bash
# The Debian packages, installed the way a municipality's IT staff install them:
#   1. builds kazasu, kazasu-dev and kazasu-cardsim with cpack (cmake/Packaging.cmake) from a
#      build configured for /usr: BUILD itself when it is one, else BUILD/deb-build;
#   2. runs lintian on them: any error or warning not explained by the packages' own
#      overrides (packaging/lintian-overrides/) fails the test;
#   3. makes a clean Debian 12 (bookworm) minbase root with debootstrap, from the mirror apt is
#      configured with, and installs the packages there with apt, their dependencies from
#      the archive;
#   4. there: the user, the state directory, the conffile, the plugins where kazasud looks for
#      them; `kazasud --check-config /etc/kazasu/kazasud.toml` (first as shipped: only the site
#      secret and the broker's files may be missing; then provisioned as docs/install.md says,
#      for the service user); `systemd-analyze verify` and `security` on the installed unit;
#   5. builds the example plugin against kazasu-dev there and runs its unit tests;
#   6. an edited conffile survives a reinstall; a purge keeps /var/lib/kazasu.
#
# Needs root (debootstrap, chroot, mounts) and debootstrap, lintian, dpkg-dev, fakeroot
# (scripts/packages.txt): skips with exit code 77 and the reason otherwise.
#
# Time is kept low with caches in KAZASU_DEB_TEST_CACHE (default ~/.cache/kazasu/deb-test):
# the bootstrapped root as a tarball (made once per ISO week), the .debs apt downloads into the
# root and its package lists. The compile of the /usr build goes through ccache like the rest.
#
# Usage: deb_test.sh BUILD_DIR SOURCE_DIR   (KAZASU_DEB_TEST_KEEP=1 keeps the root to look at)
set -euo pipefail
build=$(cd "$1" && pwd)
src=$(cd "$2" && pwd)
start=$SECONDS

skip() { echo "SKIP: $*"; exit 77; }
fail() { echo "FAIL: $*" >&2; exit 1; }
step() { printf '== [%4ss] %s\n' $((SECONDS - start)) "$*"; }

[ "$(id -u)" -eq 0 ] || skip "needs root for debootstrap, chroot and mounts (CI runs as root)"
for tool in debootstrap lintian dpkg-deb dpkg-shlibdeps fakeroot cpack chroot mount; do
  command -v "$tool" >/dev/null || skip "$tool is not installed (scripts/deps installs scripts/packages.txt)"
done
arch=$(dpkg --print-architecture)

# --- 1. The packages ------------------------------------------------------------------------
step "building the packages"
export CCACHE_BASEDIR="${CCACHE_BASEDIR:-$src}"
prefix=$(sed -n 's/^CMAKE_INSTALL_PREFIX:PATH=//p' "$build/CMakeCache.txt" 2>/dev/null || true)
if [ "$prefix" = /usr ]; then
  pkgbuild=$build
  cmake --build "$pkgbuild" -j "$(nproc)" >"$build/deb-build.log" 2>&1 ||
    { tail -50 "$build/deb-build.log"; fail "building $pkgbuild"; }
else
  # A copy of the project for /usr, without the tests.
  pkgbuild=$build/deb-build
  if [ ! -f "$pkgbuild/CMakeCache.txt" ]; then
    generator=$(sed -n 's/^CMAKE_GENERATOR:INTERNAL=//p' "$build/CMakeCache.txt" 2>/dev/null || true)
    mkdir -p "$pkgbuild"
    cmake -S "$src" -B "$pkgbuild" -G "${generator:-Ninja}" -DCMAKE_BUILD_TYPE=Release -DCMAKE_INSTALL_PREFIX=/usr \
      -DKAZASU_BUILD_TESTS=OFF >"$pkgbuild/configure.log" 2>&1 ||
      { cat "$pkgbuild/configure.log"; fail "configuring $pkgbuild"; }
  fi
  cmake --build "$pkgbuild" -j "$(nproc)" >"$build/deb-build.log" 2>&1 ||
    { tail -50 "$build/deb-build.log"; fail "building $pkgbuild"; }
fi
rm -rf "$pkgbuild/packages"
(cd "$pkgbuild" && cpack -G DEB >"$build/deb-cpack.log" 2>&1) || { cat "$build/deb-cpack.log"; fail "cpack -G DEB"; }
version=$(sed -n 's/^CMAKE_PROJECT_VERSION:STATIC=//p' "$pkgbuild/CMakeCache.txt")
release=$(sed -n 's/^KAZASU_PACKAGE_RELEASE:STRING=//p' "$pkgbuild/CMakeCache.txt")
debs=()
for pkg in kazasu kazasu-dev kazasu-cardsim; do
  deb="$pkgbuild/packages/${pkg}_${version}-${release}_${arch}.deb"
  [ -f "$deb" ] || { ls -l "$pkgbuild/packages" >&2 || true; fail "cpack did not make $(basename "$deb")"; }
  debs+=("$deb")
done
ls -l "${debs[@]}"

# The main package's contents: everything under /usr but the conffile, and its dependencies.
contents=$(dpkg-deb -c "${debs[0]}" | awk '{ print $6 }' | sed 's|^\./|/|')
triplet=$(dpkg-architecture -qDEB_HOST_MULTIARCH)
for f in /usr/bin/kazasud /usr/bin/kazasuctl /usr/lib/$triplet/kazasu/plugins/example.so \
         /usr/lib/systemd/system/kazasud.service /usr/lib/sysusers.d/kazasu.conf /usr/lib/tmpfiles.d/kazasu.conf \
         /usr/share/polkit-1/rules.d/50-kazasu-pcscd.rules /etc/kazasu/kazasud.toml \
         /usr/share/man/man8/kazasud.8.gz /usr/share/man/man1/kazasuctl.1.gz /usr/share/man/man5/kazasud.toml.5.gz \
         /usr/share/doc/kazasu/copyright /usr/share/doc/kazasu/install.md; do
  grep -qx "$f" <<<"$contents" || fail "the kazasu package lacks $f"
done
outside=$(grep -v -e '^/usr/' -e '^/etc/kazasu/' -e '/$' <<<"$contents" || true)
[ -z "$outside" ] || fail "files outside /usr and /etc/kazasu: $outside"
dev_contents=$(dpkg-deb -c "${debs[1]}")
grep -q "/usr/lib/$triplet/cmake/Kazasu/KazasuConfig.cmake" <<<"$dev_contents" || fail "kazasu-dev lacks the CMake package"
grep -q "/usr/include/kazasu/testing/fake_host.hpp" <<<"$dev_contents" || fail "kazasu-dev lacks the testing kit"
[ "$(dpkg-deb --ctrl-tarfile "${debs[0]}" | tar -xO ./conffiles)" = /etc/kazasu/kazasud.toml ] ||
  fail "/etc/kazasu/kazasud.toml is not the package's conffile"
depends=$(dpkg-deb -f "${debs[0]}" Depends)
for lib in libpaho-mqttpp3 libsqlite3-0 libpcsclite1 libsystemd0 libssl3 libpq5 libc6; do
  grep -q "$lib" <<<"$depends" || fail "kazasu's Depends (from dpkg-shlibdeps) lacks $lib: $depends"
done

# --- 2. lintian ---------------------------------------------------------------------------
step "lintian"
lintian_out=$(lintian --fail-on error,warning --display-info --allow-root "${debs[@]}" 2>&1) ||
  { echo "$lintian_out"; fail "lintian has errors or warnings (fix them, or explain them in packaging/lintian-overrides/)"; }
[ -z "$lintian_out" ] || echo "$lintian_out"

# --- 3. A clean Debian 12 root --------------------------------------------------------------
cache=${KAZASU_DEB_TEST_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/kazasu/deb-test}
mkdir -p "$cache/archives/partial" "$cache/lists/partial"
# The mirror apt is configured with (deb822 or one-line sources), not the security suite.
mirror=$(cat /etc/apt/sources.list.d/*.sources 2>/dev/null |
  awk '/^URIs:/ { uri = $2 } /^Suites:/ { for (i = 2; i <= NF; i++) if ($i == "bookworm") { print uri; exit } }')
if [ -z "$mirror" ]; then
  mirror=$(cat /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null |
    awk '$1 == "deb" { u = ($2 ~ /^\[/) ? $3 : $2; s = ($2 ~ /^\[/) ? $4 : $3; if (s == "bookworm") { print u; exit } }')
fi
[ -n "$mirror" ] || skip "no bookworm mirror in apt's sources to debootstrap from"

week=$(date -u +%G-W%V)
tarball=$cache/bookworm-minbase-$arch-$week.tar.gz
# The work directory is in memory: unpacking and installing are quicker, and cleaning up is
# an umount.
work=$(mktemp -d "$build/deb-test.XXXXXX")
root=$work/root
cleanup() {
  local status=$? m mounts
  if [ -n "${KAZASU_DEB_TEST_KEEP:-}" ]; then
    echo "kept $root (KAZASU_DEB_TEST_KEEP): umount -R $work && rmdir $work when done"
    exit $status
  fi
  for m in "$root/var/lib/apt/lists" "$root/var/cache/apt/archives" "$root/dev" "$root/proc" "$work"; do
    if mountpoint -q "$m" 2>/dev/null; then umount "$m" || umount -l "$m"; fi
  done
  mounts=$(findmnt -rn -o TARGET || echo "findmnt failed")
  if grep -e "^$work/" -e "^$work\$" -e "findmnt failed" <<<"$mounts" >/dev/null; then
    echo "still mounted under $work: not removing it" >&2
  else
    rm -rf "$work"
  fi
  exit $status
}
trap cleanup EXIT
mount -t tmpfs -o size=6G,mode=0700 kazasu-deb-test "$work"

if [ ! -f "$tarball" ]; then
  step "debootstrap bookworm minbase from $mirror (cached in $tarball for this week)"
  debootstrap --variant=minbase bookworm "$work/bootstrap" "$mirror" >"$work/debootstrap.log" 2>&1 ||
    { tail -30 "$work/debootstrap.log"; tail -30 "$work/bootstrap/debootstrap/debootstrap.log" 2>/dev/null; fail "debootstrap"; }
  rm -f "$work/bootstrap/var/cache/apt/archives/"*.deb "$work/bootstrap/var/lib/apt/lists/"*_Packages
  tar -C "$work/bootstrap" -czf "$tarball.tmp" . && mv "$tarball.tmp" "$tarball"
  rm -rf "$work/bootstrap"
  find "$cache" -maxdepth 1 -name 'bookworm-minbase-*.tar.gz' ! -name "$(basename "$tarball")" -delete
fi
step "unpacking the root"
mkdir -p "$root"
chmod 0755 "$root"
tar -C "$root" -xzf "$tarball"

mount -t proc proc "$root/proc"
mount --bind /dev "$root/dev"
mount --bind "$cache/archives" "$root/var/cache/apt/archives"
mount --bind "$cache/lists" "$root/var/lib/apt/lists"
cp -L /etc/resolv.conf "$root/etc/resolv.conf"
# The same archive as this machine's apt: the bookworm suites, their keyrings included.
rm -f "$root/etc/apt/sources.list"
for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list /etc/apt/sources.list.d/*.sources; do
  [ -f "$f" ] && grep -q bookworm "$f" && grep -qi debian "$f" && cp "$f" "$root/etc/apt/${f#/etc/apt/}"
done
# A root without an init system: nothing may start services while packages install.
printf '#!/bin/sh\nexit 101\n' >"$root/usr/sbin/policy-rc.d"
chmod 755 "$root/usr/sbin/policy-rc.d"
in_root() { chroot "$root" env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root LANG=C.UTF-8 DEBIAN_FRONTEND=noninteractive "$@"; }
apt_get() { in_root apt-get -q -y -o APT::Keep-Downloaded-Packages=true -o Dpkg::Use-Pty=0 "$@"; }

step "apt-get update"
apt_get update >"$work/apt-update.log" 2>&1 || { cat "$work/apt-update.log"; fail "apt-get update in the root"; }

# --- 4. Install and configure, as docs/install.md -------------------------------------------
step "installing the packages with apt (dependencies from the archive)"
mkdir -p "$root/tmp/debs"
cp "${debs[@]}" "$root/tmp/debs/"
in_root_debs=()
for deb in "${debs[@]}"; do in_root_debs+=("/tmp/debs/$(basename "$deb")"); done
apt_get install --no-install-recommends "${in_root_debs[@]}" >"$work/apt-install.log" 2>&1 ||
  { tail -60 "$work/apt-install.log"; fail "apt-get install of the packages"; }
grep -E '^(Setting up|Unpacking) kazasu' "$work/apt-install.log" || true

step "checking the installed system"
in_root getent passwd kazasu >/dev/null || fail "no kazasu user after install (sysusers)"
[ "$(in_root stat -c '%U %G %a' /var/lib/kazasu)" = "kazasu kazasu 700" ] ||
  fail "/var/lib/kazasu is $(in_root stat -c '%U %G %a' /var/lib/kazasu), not kazasu kazasu 700 (tmpfiles)"
in_root dpkg-query -W -f='${Conffiles}\n' kazasu | grep '/etc/kazasu/kazasud.toml' >/dev/null ||
  fail "dpkg does not list /etc/kazasu/kazasud.toml as a conffile"
in_root kazasud --version
in_root kazasud --help-plugin example | sed -n 1p
in_root dpkg-query -W -f='${Status}\n' kazasu | grep 'install ok installed' >/dev/null || fail "kazasu is not configured"

# As shipped, only what IT staff provide is missing: the site secret and the broker's files.
set +e
shipped=$(in_root kazasud --check-config /etc/kazasu/kazasud.toml 2>&1)
rc=$?
set -e
echo "$shipped"
[ $rc -eq 2 ] || fail "--check-config of the shipped config exited $rc, not 2"
unexpected=$(grep -v -e 'station.secret_file: secret file /etc/kazasu/site.secret: No such file' \
                     -e 'mqtt\.\(ca\|cert\|key\|credentials\)_file: /etc/kazasu/mqtt/.* does not exist' <<<"$shipped" || true)
[ -z "$unexpected" ] || fail "the shipped config has problems beyond the secret and the broker's files: $unexpected"

step "provisioning as docs/install.md says, then kazasud --check-config /etc/kazasu/kazasud.toml"
in_root sh -euc '
  kazasuctl secret init /etc/kazasu/site.secret
  chown kazasu:kazasu /etc/kazasu/site.secret
  install -d -m 0750 -o root -g kazasu /etc/kazasu/mqtt
  # Stand-ins for the broker CA and the station certificate: --check-config checks that they
  # exist and can be read, the broker checks what is in them.
  for f in ca.crt station.crt; do printf "%s\n" "-----BEGIN CERTIFICATE-----" "-----END CERTIFICATE-----" > /etc/kazasu/mqtt/$f; done
  install -m 0640 -o root -g kazasu /dev/null /etc/kazasu/mqtt/station.key
  chmod 0644 /etc/kazasu/mqtt/ca.crt /etc/kazasu/mqtt/station.crt
  printf "username = \"station-central-library\"\npassword = \"not-a-real-one\"\n" > /etc/kazasu/mqtt/credentials.toml
  chown kazasu:kazasu /etc/kazasu/mqtt/credentials.toml
  chmod 0600 /etc/kazasu/mqtt/credentials.toml
'
in_root kazasud --check-config /etc/kazasu/kazasud.toml --user kazasu || fail "--check-config --user kazasu as root"
# What the unit's ExecStartPre runs, as the service user.
in_root runuser -u kazasu -- kazasud --check-config /etc/kazasu/kazasud.toml ||
  fail "--check-config as the kazasu user (the unit's ExecStartPre)"

# The tools the remaining checks need: man for the unit's Documentation= pages, and what a
# plugin developer installs beside kazasu-dev.
step "installing man-db, cmake, make, g++ and libgtest-dev"
apt_get install --no-install-recommends man-db cmake make g++ libgtest-dev >"$work/apt-tools.log" 2>&1 ||
  { tail -40 "$work/apt-tools.log"; fail "installing man-db, cmake, g++ and libgtest-dev"; }

step "systemd-analyze verify and security on the installed unit"
unit=/usr/lib/systemd/system/kazasud.service
# verify checks that ExecStart's programs exist and that man finds every Documentation= page.
in_root systemd-analyze verify --man=yes "$unit" || fail "systemd-analyze verify $unit"
exposure=$(in_root systemd-analyze security --offline=true "$unit" 2>&1 | sed -n 's/.*Overall exposure level for kazasud.service: \([0-9.]*\).*/\1/p')
echo "systemd-analyze security: exposure $exposure"
[ -n "$exposure" ] && awk -v e="$exposure" 'BEGIN { exit !(e <= 1.5) }' || fail "exposure ${exposure:-unknown} is above 1.5"

# --- 5. A plugin against kazasu-dev ---------------------------------------------------------
step "building and unit-testing the example plugin against kazasu-dev"
mkdir -p "$root/tmp/plugin/tests"
cp "$src/plugins/example/example.cpp" "$root/tmp/plugin/"
cp "$src/plugins/example/tests/example_test.cpp" "$root/tmp/plugin/tests/"
cat >"$root/tmp/plugin/CMakeLists.txt" <<'CM'
cmake_minimum_required(VERSION 3.25)
project(example_plugin CXX)
find_package(Kazasu REQUIRED)
enable_testing()
kazasu_add_plugin(example SOURCES example.cpp LIBRARIES SQLite::SQLite3 nlohmann_json::nlohmann_json)
kazasu_add_plugin_test(example example_tests SOURCES tests/example_test.cpp)
CM
in_root cmake -S /tmp/plugin -B /tmp/plugin/build -DCMAKE_BUILD_TYPE=Release >"$work/plugin.log" 2>&1 &&
  in_root cmake --build /tmp/plugin/build -j "$(nproc)" >>"$work/plugin.log" 2>&1 ||
  { cat "$work/plugin.log"; fail "building the example plugin against kazasu-dev"; }
in_root sh -c 'cd /tmp/plugin/build && ctest -L sdk --no-tests=error --output-on-failure' |
  grep -A1 'tests passed' || fail "the example plugin's unit tests against kazasu-dev"
in_root kazasud --help-plugin /tmp/plugin/build/example.so | grep 'greeting' >/dev/null ||
  fail "the installed kazasud does not load the plugin built against kazasu-dev"

# --- 6. Upgrade and purge -------------------------------------------------------------------
step "an edited conffile survives a reinstall; a purge keeps the ledgers"
echo '# edited by IT staff' >>"$root/etc/kazasu/kazasud.toml"
in_root dpkg --force-confold -i /tmp/debs/"$(basename "${debs[0]}")" >"$work/reinstall.log" 2>&1 ||
  { cat "$work/reinstall.log"; fail "reinstalling kazasu"; }
tail -1 "$root/etc/kazasu/kazasud.toml" | grep 'edited by IT staff' >/dev/null || fail "the reinstall replaced the edited conffile"
touch "$root/var/lib/kazasu/example.db"
apt_get purge kazasu kazasu-dev kazasu-cardsim >"$work/purge.log" 2>&1 || { cat "$work/purge.log"; fail "purging"; }
[ -f "$root/var/lib/kazasu/example.db" ] || fail "the purge deleted /var/lib/kazasu"
[ ! -e "$root/usr/bin/kazasud" ] || fail "the purge left /usr/bin/kazasud"

step "done"
echo "packages built, lint-clean, installed into a clean Debian 12 root, configured, checked, and the example plugin built and passed its tests there in $((SECONDS - start)) s"
