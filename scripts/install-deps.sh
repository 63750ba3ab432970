#!/usr/bin/env bash
# install-deps.sh - install the Debian packages SecureMail builds, tests and
# benchmarks with. Idempotent: does nothing when everything is present.
# Never downloads anything but Debian packages, and for the tests axe-core
# from npm (the console's accessibility check, tests/e2e/test_console.py).
#   install-deps.sh         everything: build, run, package, hardening, tests (`make test`, CI)
#   install-deps.sh --run   only what building and running need (`make run`)
set -euo pipefail
case "${1:-}" in
  "") set_name=all ;;
  --run) set_name=run ;;
  *) echo "install-deps: unknown option ${1} (use --run, or nothing for everything)" >&2; exit 2 ;;
esac

BUILD_PKGS=(
  build-essential cmake pkg-config ccache
  libssl-dev libasio-dev libc-ares-dev libsqlite3-dev
  libtomlplusplus-dev nlohmann-json3-dev libcli11-dev libspdlog-dev libfmt-dev
  libcpp-httplib-dev libgtest-dev libgmock-dev
  libsodium-dev liboath-dev libqrencode-dev zlib1g-dev  # accounts: argon2id, TOTP, enrolment QR codes (PNG via zlib)
  libgmime-3.0-dev  # policy: the MIME tree of a message scanned for markings and trigger words
  libcairo2-dev libpango1.0-dev libqpdf-dev fonts-dejavu-core  # pickup's PDF option: layout, fonts, AES-256 encryption
)
# make package (scripts/package.sh): dpkg-deb, dpkg-shlibdeps, strip.
PACKAGE_PKGS=(dpkg-dev binutils)
# make fuzz / tidy / test-sanitize (docs/hardening.md): clang 16, not the
# default 14, since libstdc++'s std::expected needs what clang 16 added;
# libclang-rt-16-dev has libFuzzer and clang's sanitizer runtimes.
HARDENING_PKGS=(clang-16 libclang-rt-16-dev clang-tidy-16)
TEST_PKGS=(
  openssl gpgsm libnss3-tools swaks libnet-ssleay-perl postfix python3 python3-pytest python3-aiosmtpd
  oathtool dovecot-imapd  # mailboxes: TOTP codes as apps make them; IMAP on a private Dovecot
  chromium chromium-driver python3-selenium  # self-service and console pages in headless Chromium
  time  # GNU time: the peak memory of a CLI run (tests/e2e/test_smime_open_streaming.py)
  python3-prometheus-client  # parses /metrics as Prometheus does (tests/e2e/test_metrics.py)
  python3-jsonschema  # certification reports checked against docs/certification.schema.json
  poppler-utils qpdf  # pickup's PDFs opened as a recipient would: pdftotext -upw, qpdf --decrypt
)
# axe-core (npm) finds accessibility faults in the console pages in Chromium.
AXE_PREFIX=/usr/local/lib/securemail-test
install_axe() {
  [ "$set_name" = run ] && return 0
  [ -f "$AXE_PREFIX/node_modules/axe-core/axe.min.js" ] && return 0
  if ! command -v npm >/dev/null; then
    echo "install-deps: no npm, so no axe-core: test_console.py skips its accessibility check" >&2
    return 0
  fi
  echo "install-deps: installing axe-core@4 into $AXE_PREFIX (npm)" >&2
  ${SUDO:-} npm install --silent --no-audit --no-fund --prefix "$AXE_PREFIX" axe-core@4 >/dev/null
}

missing=()
wanted=("${BUILD_PKGS[@]}")
[ "$set_name" = run ] || wanted+=("${PACKAGE_PKGS[@]}" "${HARDENING_PKGS[@]}" "${TEST_PKGS[@]}")
for p in "${wanted[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
if [ ${#missing[@]} -eq 0 ]; then
  install_axe
  exit 0
fi
echo "install-deps: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
# Postfix asks how to configure the system MTA; we only use its binaries in
# private instances, so the system one stays unconfigured.
echo "postfix postfix/main_mailer_type select No configuration" | $SUDO debconf-set-selections
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
install_axe
