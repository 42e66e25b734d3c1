#!/usr/bin/env bash
# Installs the real parts the tests run against, from Debian's packages, when they are missing:
# nats-server, prometheus + promtool, prometheus-alertmanager + amtool, chromium (browser tests),
# docker-compose (parses docker-compose.yml; no engine needed); with --bench also prometheus-node-exporter.
set -euo pipefail

declare -A need=(
  [nats-server]=nats-server
  [prometheus]=prometheus
  [promtool]=prometheus
  [prometheus-alertmanager]=prometheus-alertmanager
  [amtool]=prometheus-alertmanager
  [chromium]=chromium
  [docker-compose]=docker-compose
)
# `--bench` (npm run bench): also node_exporter, the baseline the /metrics benchmarks are measured against.
if [[ ${1:-} == --bench ]]; then
  need[prometheus-node-exporter]=prometheus-node-exporter
fi
missing=()
for cmd in "${!need[@]}"; do
  command -v "$cmd" >/dev/null 2>&1 || [[ -x "/usr/sbin/$cmd" ]] || missing+=("${need[$cmd]}")
done
if ((${#missing[@]} == 0)); then
  echo "setup-test: ${!need[*]} are present"
  exit 0
fi
mapfile -t pkgs < <(printf '%s\n' "${missing[@]}" | sort -u)
echo "setup-test: installing from Debian: ${pkgs[*]}"
sudo=()
if [[ $(id -u) -ne 0 ]]; then
  command -v sudo >/dev/null 2>&1 || { echo "setup-test: not root and no sudo; install: ${pkgs[*]}" >&2; exit 1; }
  sudo=(sudo)
fi
export DEBIAN_FRONTEND=noninteractive
"${sudo[@]}" apt-get update -qq
"${sudo[@]}" apt-get install -y -qq --no-install-recommends "${pkgs[@]}" >/dev/null
# Debian's postinst may start the daemons where an init system runs; tests start their own on free ports.
for svc in prometheus prometheus-alertmanager prometheus-node-exporter nats-server; do
  if command -v systemctl >/dev/null 2>&1 && systemctl is-active --quiet "$svc" 2>/dev/null; then
    "${sudo[@]}" systemctl stop "$svc" || true
  fi
done
echo "setup-test: done"
