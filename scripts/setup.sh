#!/usr/bin/env bash
# Installs what kemu needs on Debian/Ubuntu (tools and a C compiler from apt,
# JavaScript dependencies from npm) and builds it. Safe to run again.
set -euo pipefail
cd "$(dirname "$0")/.."

if [ "$(id -u)" != 0 ]; then
  echo "kemu creates network namespaces: run this as root (sudo)." >&2
  exit 1
fi

missing=()
for pair in ip:iproute2 nsenter:util-linux curl:curl dig:dnsutils iptables-restore:iptables nft:nftables conntrack:conntrack cc:gcc ps:procps ping:iputils-ping wrk:wrk openssl:openssl; do
  command -v "${pair%%:*}" >/dev/null 2>&1 || missing+=("${pair#*:}")
done
[ -e /usr/include/stdio.h ] || missing+=(libc6-dev)
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

if ! command -v node >/dev/null 2>&1; then
  echo "setup: Node.js 20 or newer is required (https://nodejs.org or apt-get install nodejs npm)" >&2
  exit 1
fi

if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --no-audit --no-fund --loglevel=error
fi
npm run --silent build
