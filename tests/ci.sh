#!/usr/bin/env bash
# The one test command (README, .ci/run): from a clean clone on a fresh machine with only Python,
# install what the tests need and run them. Exits non-zero on any failure.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
venv="${TSUNAGI_TEST_VENV:-$root/.venv-test}"

# Debian packages the tests use: openssl (interop fixtures), PostgreSQL (relay storage), tmux (screen checks),
# chromium (`tsunagi serve` opened in a real headless browser), poppler and a Japanese font (note PDFs).
need=()
command -v chromium >/dev/null || need+=(chromium)
command -v openssl >/dev/null || need+=(openssl)
command -v tmux >/dev/null || need+=(tmux)
# The note PDF test renders the PDF with poppler: pdftoppm/pdftotext, the CID-font mapping (poppler-data)
# and a Japanese font for the non-embedded HeiseiKakuGo-W5.
command -v pdftoppm >/dev/null || need+=(poppler-utils)
[ -d /usr/share/poppler/cMap ] || need+=(poppler-data)
if ! command -v fc-list >/dev/null || [ -z "$(fc-list :lang=ja 2>/dev/null)" ]; then
  need+=(fonts-ipafont-gothic)
fi
if ! command -v pg_ctl >/dev/null && ! ls /usr/lib/postgresql/*/bin/pg_ctl >/dev/null 2>&1; then
  need+=(postgresql)
fi
if [ ${#need[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
  else
    echo "note: missing ${need[*]}; tests that need them will be skipped" >&2
  fi
fi

# The relay's PostgreSQL tests must really run here, not skip: tests/relay/conftest.py starts a
# throwaway server (initdb + postgres from Debian's package, as the `postgres` user when root) on a
# free loopback port, and this makes "could not start" a failure instead of a skip.
if ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || command -v initdb >/dev/null; then
  export TSUNAGI_REQUIRE_POSTGRES=1
fi

python3 -m venv "$venv"
"$venv/bin/python" -m pip install -q --upgrade pip
"$venv/bin/python" -m pip install -q -e ".[relay,test,serve]"

# Main run with the newest cryptography the resolver picked.
"$venv/bin/python" -m pytest -q -p no:cacheprovider "$@"

# Second run of the crypto-dependent tests with the oldest supported cryptography: 43.0.0, Debian 13
# (trixie) i386's own python3-cryptography, where the chain check takes core/chain.py's own path
# (no ExtensionPolicy before 45). See docs/old-pcs.md; scripts/i386-check runs the suite on i386 itself.
if [ -d tests/crypto ]; then
  old="$root/.venv-test-oldcrypto"
  python3 -m venv "$old"
  "$old/bin/python" -m pip install -q --upgrade pip
  "$old/bin/python" -m pip install -q -e ".[relay,test]" "cryptography==43.0.0"
  "$old/bin/python" -c "import cryptography; print('oldest cryptography run:', cryptography.__version__)"
  "$old/bin/python" -m pytest -q -p no:cacheprovider tests/crypto
fi
