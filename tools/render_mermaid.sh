#!/usr/bin/env bash
# Render every kind of Mermaid diagram the reconciler prints with Mermaid itself
# (@mermaid-js/mermaid-cli on Debian's chromium): a diagram Mermaid cannot parse fails
# this script. Writes SVG and PNG files into OUT_DIR (default build/mermaid), and
# refreshes docs/routing.png (the README's picture of examples/) with --update-docs.
#
#   tools/render_mermaid.sh [--update-docs] [OUT_DIR]
#   tools/render_mermaid.sh --prepare     only install chromium and mermaid-cli; exit 3 if
#                                         they cannot be had here (CI then skips the check)
#
# Needs node/npm and chromium. As root, a missing chromium is installed with apt-get.
# Nothing downloads a browser: puppeteer's own download is switched off and it is
# pointed at /usr/bin/chromium (or $CHROMIUM).
set -euo pipefail

MERMAID_CLI_VERSION=11.17.0
REPO="$(cd "$(dirname "$0")/.." && pwd)"
UPDATE_DOCS=0
PREPARE=0
if [ "${1:-}" = "--update-docs" ]; then UPDATE_DOCS=1; shift; fi
if [ "${1:-}" = "--prepare" ]; then PREPARE=1; shift; fi
OUT="$(mkdir -p "${1:-$REPO/build/mermaid}" && cd "${1:-$REPO/build/mermaid}" && pwd)"
CLI_DIR="${MERMAID_CLI_DIR:-$HOME/.cache/reconciler/mermaid-cli-$MERMAID_CLI_VERSION}"
CHROMIUM="${CHROMIUM:-/usr/bin/chromium}"
PYTHON="${PYTHON:-$REPO/.venv/bin/python}"
[ -x "$PYTHON" ] || PYTHON=python3

export PUPPETEER_SKIP_DOWNLOAD=1  # never fetch a browser: Debian's chromium is used

# Chromium from Debian and mermaid-cli from npm; returns non-zero when either cannot be had.
prepare() {
  if [ ! -x "$CHROMIUM" ]; then
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
      apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium || return 1
    else
      echo "error: no chromium at $CHROMIUM: install Debian's (sudo apt-get install chromium) or set CHROMIUM" >&2
      return 1
    fi
  fi
  command -v npm >/dev/null || { echo "error: npm is needed for @mermaid-js/mermaid-cli" >&2; return 1; }
  if [ ! -x "$CLI_DIR/node_modules/.bin/mmdc" ]; then
    mkdir -p "$CLI_DIR"
    (cd "$CLI_DIR" && npm install --no-audit --no-fund --silent "@mermaid-js/mermaid-cli@$MERMAID_CLI_VERSION") || return 1
  fi
}

if [ "$PREPARE" = 1 ]; then
  prepare || exit 3
  exit 0
fi
prepare || exit 1
printf '{"executablePath": "%s", "args": ["--no-sandbox"]}\n' "$CHROMIUM" > "$OUT/puppeteer.json"

"$PYTHON" "$REPO/tools/flow_samples.py" "$OUT"
failed=0
for source in "$OUT"/*.mmd; do
  for ext in svg png; do
    if ! "$CLI_DIR/node_modules/.bin/mmdc" --quiet -p "$OUT/puppeteer.json" -b white -s 2 \
        -i "$source" -o "${source%.mmd}.$ext"; then
      echo "error: Mermaid could not render $source" >&2
      failed=1
    fi
  done
done
[ "$failed" = 0 ] || exit 1
if [ "$UPDATE_DOCS" = 1 ]; then
  cp "$OUT/routing.png" "$REPO/docs/routing.png"
  cp "$OUT/plan-2.png" "$REPO/docs/plan-flow.png"
fi
echo "Rendered $(ls "$OUT"/*.mmd | wc -l) diagrams to $OUT (SVG and PNG)."
