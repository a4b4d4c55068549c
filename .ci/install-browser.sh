#!/usr/bin/env bash
# Install a headless Chromium (and Debian's Graphviz) for tests/test_html.py, best effort: when anything here fails, CI goes on
# and the browser tests are SKIPPED with the reason (set VALUEGRAD_REQUIRE_BROWSER=1 to make them fail
# instead). Called by .ci/run as root before the venv exists (playwright then comes with the dev extras).
#   - Debian's chromium (/usr/bin/chromium); Playwright drives it with executable_path, so
#     `playwright install` (which downloads its own browser) is never run.
#   - the Python package playwright, into .venv (also listed in pyproject's dev extras).
set -uo pipefail
cd "$(dirname "$0")/.."

log() { echo "install-browser: $*"; }

# fonts-liberation is metric-compatible with the Helvetica/Times that Graphviz measures text in, so the
# labels fit their boxes; fonts-dejavu-core covers the page's own text and symbols.
missing=()
command -v chromium >/dev/null 2>&1 || command -v chromium-browser >/dev/null 2>&1 || missing+=(chromium)
# Debian's graphviz too: the page tests draw with graphviz-pure AND the system dot, whose layouts differ.
command -v dot >/dev/null 2>&1 || missing+=(graphviz)
for font in fonts-liberation fonts-dejavu-core; do
    dpkg -s "$font" >/dev/null 2>&1 || missing+=("$font")
done
if [ ${#missing[@]} -eq 0 ]; then
    log "chromium, graphviz and fonts already installed: $(command -v chromium || command -v chromium-browser)"
elif command -v apt-get >/dev/null 2>&1; then
    SUDO=""
    if [ "$(id -u)" != "0" ]; then
        if command -v sudo >/dev/null 2>&1; then SUDO="sudo -n"; else log "not root and no sudo: skipping apt"; fi
    fi
    if [ "$(id -u)" = "0" ] || [ -n "$SUDO" ]; then
        export DEBIAN_FRONTEND=noninteractive
        if $SUDO apt-get update -q >/dev/null \
            && $SUDO apt-get install -y -q --no-install-recommends "${missing[@]}" >/dev/null; then
            log "installed ${missing[*]}"
        else
            log "apt-get could not install ${missing[*]}; without chromium the browser tests will be skipped"
        fi
    fi
else
    log "no apt-get here; install Chromium yourself (or set VALUEGRAD_CHROMIUM); the browser tests will be skipped"
fi

PY=.venv/bin/python
if [ -x "$PY" ]; then
    if "$PY" -c "import playwright" 2>/dev/null; then
        log "playwright already in .venv"
    elif "$PY" -m pip install --quiet "playwright>=1.40"; then
        log "installed playwright into .venv"
    else
        log "pip could not install playwright; the browser tests will be skipped"
    fi
else
    log "no .venv yet (run python3 dev.py setup first); skipping playwright"
fi
exit 0
