#!/usr/bin/env bash
# Installs the Debian 12 packages almanac needs that are not installed yet.
# Runs apt-get through sudo when not root. Safe to run again: it installs
# nothing when everything is present.
set -euo pipefail

packages=(
  build-essential cmake ninja-build pkg-config ccache git
  libboost1.81-dev libboost-url1.81-dev librocksdb-dev libflatbuffers-dev flatbuffers-compiler
  nlohmann-json3-dev catch2 libsodium-dev libjwt-dev libhowardhinnant-date-dev libcli11-dev
  libcurl4-openssl-dev libical-dev libabsl-dev
  python3 python3-pytest python3-requests python3-websockets python3-msgpack python3-dateutil
)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done

if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps: all ${#packages[@]} packages present"
  exit 0
fi

sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
echo "install-deps: installing ${missing[*]}"
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
