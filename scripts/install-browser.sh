#!/usr/bin/env bash
# Installs Debian's chromium for the browser tests, unless it is there already.
# Playwright (a Python dependency) drives it through executable_path; it never downloads a
# browser of its own.
set -euo pipefail
if command -v chromium >/dev/null 2>&1; then
  exit 0
fi
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -q
$SUDO apt-get install -y -q --no-install-recommends chromium fonts-dejavu-core
