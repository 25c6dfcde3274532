#!/usr/bin/env bash
# Builds ldns from the Debian source package with AddressSanitizer and installs it under a
# prefix, so that the fuzz build can link an instrumented libldns (as OSS-Fuzz builds the
# dependencies of a project): ASan then sees writes made inside ldns itself, which an
# uninstrumented system libldns hides (issue 14: a heap overflow in ldns_bget_token showed
# only as corrupted heap metadata in free()).
#
# Usage: tools/build-asan-ldns.sh [PREFIX]        (default PREFIX: /opt/ldns-asan)
# Then:
#   PKG_CONFIG_PATH=PREFIX/lib/pkgconfig CXX=clang++ CC=clang \
#     meson setup build-fuzz -Dfuzz-targets=true -Db_sanitize=address,undefined -Db_lundef=false
#   ninja -C build-fuzz test/fuzz/fuzz_zone_text
#   ldd build-fuzz/test/fuzz/fuzz_zone_text | grep ldns     # must point into PREFIX
# Needs root once (it enables deb-src for the Debian mirrors already configured and installs
# the build dependencies); the build itself runs in a temporary directory.
set -euo pipefail

prefix="${1:-/opt/ldns-asan}"
work="$(mktemp -d /tmp/ldns-asan.XXXXXX)"
trap 'rm -rf "$work"' EXIT

# apt-get source needs deb-src entries; add them for the suites the machine already uses.
src_list=/etc/apt/sources.list.d/fodns-deb-src.sources
if ! grep -rqs '^Types:.*deb-src\|^deb-src' /etc/apt/sources.list /etc/apt/sources.list.d/; then
  sed -n 's/^Types: deb$/Types: deb-src/;p' /etc/apt/sources.list.d/debian.sources > "$src_list"
  apt-get update -qq
fi
apt-get install -y -qq dpkg-dev clang libssl-dev make >/dev/null

cd "$work"
apt-get source -qq ldns
src="$(find . -maxdepth 1 -type d -name 'ldns-*' | head -n1)"
cd "$src"
asan_flags="-fsanitize=address -fno-omit-frame-pointer -g -O1"
CC=clang CFLAGS="$asan_flags" LDFLAGS="-fsanitize=address" \
  ./configure --prefix="$prefix" --disable-static --without-drill --without-examples \
  --without-pyldns --without-p5-dns-ldns >/dev/null
make -j"${JOBS:-2}" >/dev/null
make install >/dev/null
# A library built this way must say so: check one ASan symbol is referenced.
if ! nm -D "$prefix/lib/libldns.so" | grep -q __asan_report; then
  echo "build-asan-ldns: $prefix/lib/libldns.so is not instrumented" >&2
  exit 1
fi
echo "ASan ldns $(basename "$src") installed in $prefix"
echo "use: PKG_CONFIG_PATH=$prefix/lib/pkgconfig meson setup build-fuzz ..."
