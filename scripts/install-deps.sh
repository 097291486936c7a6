#!/usr/bin/env bash
# Installs the Debian 12 packages almanac needs that are not installed yet,
# then the npm packages behind /docs and /redoc into build/web/node_modules.
# Runs apt-get through sudo when not root. Safe to run again: it installs
# nothing when everything is present.
set -euo pipefail

packages=(
  build-essential cmake ninja-build pkg-config ccache git
  libboost1.81-dev libboost-url1.81-dev librocksdb-dev libflatbuffers-dev flatbuffers-compiler
  nlohmann-json3-dev catch2 libsodium-dev libjwt-dev libhowardhinnant-date-dev libcli11-dev
  libcurl4-openssl-dev libical-dev libabsl-dev libgoogle-perftools-dev
  libpq-dev postgresql-15
  python3 python3-pytest python3-requests python3-websockets python3-msgpack python3-dateutil
  prometheus nginx wrk chromium clang libclang-rt-14-dev python3-pytest-xdist
)
# npm for the /docs and /redoc assets: Debian's, unless a Node.js with npm is
# already installed (its own npm conflicts with Debian's package).
command -v npm >/dev/null || packages+=(nodejs npm)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done

if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps: all ${#packages[@]} packages present"
else
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  echo "install-deps: installing ${missing[*]}"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

# The API readers' files (served by almanac from /docs/assets/, found by a
# binary under build/ at build/web/node_modules). Pinned versions; peer
# dependencies are not needed, the pages use the self-contained bundles.
cd "$(dirname "$0")/.."
web=build/web
web_packages=(swagger-ui-dist@5.35.0 redoc@2.5.4)
installed() {  # installed NAME VERSION
  grep -q "\"version\": \"$2\"" "$web/node_modules/$1/package.json" 2>/dev/null
}
if installed swagger-ui-dist 5.35.0 && installed redoc 2.5.4; then
  echo "install-deps: web assets present in $web/node_modules"
else
  echo "install-deps: npm install ${web_packages[*]} into $web/node_modules"
  mkdir -p "$web"
  npm install --prefix "$web" --no-save --no-audit --no-fund --ignore-scripts --legacy-peer-deps \
    --loglevel=error "${web_packages[@]}"
fi
