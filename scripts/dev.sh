#!/usr/bin/env bash
# The two entry points of the README's quick start:
#   scripts/dev.sh up    install into .venv, then run the whole stack
#   scripts/dev.sh test  install into .venv, start PostgreSQL + Redis, run ruff, mypy and pytest
set -euo pipefail
cd "$(dirname "$0")/.."

PYTHON="${PYTHON:-python3}"
VENV=.venv

log() { echo "[dev] $*" >&2; }

ensure_venv() {
  if [ ! -x "$VENV/bin/python" ]; then
    log "creating $VENV with $($PYTHON --version)"
    if ! "$PYTHON" -m venv "$VENV" 2>/dev/null; then
      log "python3-venv missing: installing it"
      if [ "$(id -u)" = 0 ]; then apt-get update -qq && apt-get install -y -qq python3-venv >&2
      else sudo apt-get update -qq && sudo apt-get install -y -qq python3-venv >&2; fi
      rm -rf "$VENV"; "$PYTHON" -m venv "$VENV"
    fi
  fi
  # Re-install only when the dependency list changed since the last install.
  local stamp="$VENV/.installed-$(sha256sum pyproject.toml | cut -c1-16)"
  if [ ! -f "$stamp" ]; then
    log "installing the project and its dependencies"
    "$VENV/bin/python" -m pip install -q --upgrade pip >&2
    "$VENV/bin/python" -m pip install -q -e '.[dev]' >&2
    rm -f "$VENV"/.installed-*; touch "$stamp"
  fi
}

cmd_up() {
  ensure_venv
  exec "$VENV/bin/quantumlayer" up "$@"
}

cmd_test() {
  ensure_venv
  eval "$(bash scripts/services.sh)"
  export QL_TEST_DATABASE_URL QL_TEST_REDIS_URL
  log "ruff"
  "$VENV/bin/ruff" check .
  log "mypy"
  "$VENV/bin/mypy"
  log "schema check"
  "$VENV/bin/quantumlayer" compose --check
  log "pytest"
  "$VENV/bin/python" -m pytest -q -p no:cacheprovider "$@"
}

case "${1:-}" in
  up) shift; cmd_up "$@" ;;
  test) shift; cmd_test "$@" ;;
  install) ensure_venv ;;
  *) echo "usage: scripts/dev.sh up|test|install" >&2; exit 2 ;;
esac
