#!/usr/bin/env bash
# package.sh - `make package`: the Debian package of the release build,
# staged by hand and built with dpkg-deb (no debhelper needed):
#   /usr/sbin/securemail (stripped; sbin: a daemon and admin tool run by
#     root or systemd, documented in section 8)
#   /etc/securemail/config.toml (conffile, contrib/securemail.toml)
#   /lib/systemd/system/securemail.service (contrib/systemd)
#   man pages securemail(8), securemail.toml(5) (contrib/man)
#   /usr/share/bash-completion/completions/securemail (`securemail completion bash`)
#   /usr/share/doc/securemail: copyright, configuration.md, operations.md
# Depends comes from dpkg-shlibdeps on the binary. postinst makes the system
# user securemail and /var/lib/securemail (0750); postrm purge removes both.
#   scripts/package.sh BUILD [OUTDIR]   -> OUTDIR/securemail_VERSION_ARCH.deb (path on stdout)
set -euo pipefail
build=${1:?usage: package.sh BUILD [OUTDIR]}
out=${2:-$build}
root=$(cd "$(dirname "$0")/.." && pwd)
bin=$build/securemail
[ -x "$bin" ] || { echo "package: no $bin (build first: make build)" >&2; exit 2; }
version=$("$bin" --version | awk '{print $2}')
arch=$(dpkg --print-architecture)
work=$(mktemp -d "${TMPDIR:-/tmp}/securemail-package.XXXXXX")
trap 'rm -rf "$work"' EXIT
stage=$work/stage
mkdir -p "$stage/DEBIAN" "$stage/usr/sbin" "$stage/etc/securemail" "$stage/lib/systemd/system" \
  "$stage/usr/share/man/man8" "$stage/usr/share/man/man5" "$stage/usr/share/bash-completion/completions" \
  "$stage/usr/share/doc/securemail"

install -m 0755 "$bin" "$stage/usr/sbin/securemail"
strip --strip-unneeded --remove-section=.comment --remove-section=.note "$stage/usr/sbin/securemail"
install -m 0644 "$root/contrib/securemail.toml" "$stage/etc/securemail/config.toml"
install -m 0644 "$root/contrib/systemd/securemail.service" "$stage/lib/systemd/system/securemail.service"
gzip -9n -c "$root/contrib/man/securemail.8" > "$stage/usr/share/man/man8/securemail.8.gz"
gzip -9n -c "$root/contrib/man/securemail.toml.5" > "$stage/usr/share/man/man5/securemail.toml.5.gz"
"$bin" completion bash > "$stage/usr/share/bash-completion/completions/securemail"
for doc in configuration operations; do gzip -9n -c "$root/docs/$doc.md" > "$stage/usr/share/doc/securemail/$doc.md.gz"; done
cat > "$stage/usr/share/doc/securemail/copyright" <<'TXT'
Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/
Upstream-Name: securemail
Files: *
Copyright: SecureMail authors
License: proprietary
TXT
chmod -R u=rwX,go=rX "$stage/usr" "$stage/etc" "$stage/lib"

# Depends: the shared libraries the binary links, as dpkg-shlibdeps names them;
# and the fonts pickup's PDFs are set in (fontconfig finds them at run time,
# so no library names them).
mkdir -p "$work/src/debian"
: > "$work/src/debian/control"
depends=$(cd "$work/src" && dpkg-shlibdeps -O "$stage/usr/sbin/securemail" 2>/dev/null | sed -n 's/^shlibs:Depends=//p')
[ -n "$depends" ] || { echo "package: dpkg-shlibdeps found no dependencies" >&2; exit 1; }
size=$(du -sk --exclude=DEBIAN "$stage" | cut -f1)
cat > "$stage/DEBIAN/control" <<TXT
Package: securemail
Version: $version
Architecture: $arch
Maintainer: SecureMail <securemailadmin@localhost>
Installed-Size: $size
Depends: adduser, fonts-dejavu-core, $depends
Section: mail
Priority: optional
Homepage: https://securemail.invalid/
Description: secure email gateway: signed and encrypted mail between organisations
 SecureMail seals (S/MIME encrypts and signs) mail between member
 organisations listed in a signed directory and relays other mail.
 Runs as the systemd service securemail, user securemail, data in
 /var/lib/securemail, configuration /etc/securemail/config.toml.
TXT
echo /etc/securemail/config.toml > "$stage/DEBIAN/conffiles"
install -m 0755 "$root/contrib/debian/postinst" "$root/contrib/debian/prerm" "$root/contrib/debian/postrm" "$stage/DEBIAN/"

mkdir -p "$out"
deb=$out/securemail_${version}_${arch}.deb
dpkg-deb --root-owner-group -Zxz --build "$stage" "$deb" >/dev/null
echo "$deb"
