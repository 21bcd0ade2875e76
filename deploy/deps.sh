#!/usr/bin/env bash
# Installs what counternet's demo and tests need on a Debian machine:
# clickhouse-server and clickhouse-client (the warehouse); with --with-tor,
# tor (the real onion-service test); with --with-test-tools, also chromium
# (renders export reports headless), nodejs/npm (checks WARC files with
# warcio.js), and age, openssl and jq (the partner-side check of a package
# with standard tools, docs/packages.md). As root it installs them with apt-get; otherwise it says
# exactly what to install and fails.
set -euo pipefail

need=()
have() { command -v "$1" >/dev/null 2>&1 || [ -x "/usr/sbin/$1" ] || [ -x "/usr/bin/$1" ]; }
have clickhouse-server || need+=(clickhouse-server)
have clickhouse-client || need+=(clickhouse-client)
for arg in "$@"; do
  case "$arg" in
    --with-tor) have tor || need+=(tor) ;;
    --with-test-tools)
      have tor || need+=(tor)
      have chromium || need+=(chromium)
      have node || need+=(nodejs)
      have npm || need+=(npm)
      # deploy/ tests: promtool (prometheus), systemd-analyze (systemd),
      # docker-compose and kubectl (renders compose and kustomize files).
      have promtool || need+=(prometheus)
      have systemd-analyze || need+=(systemd)
      have docker-compose || need+=(docker-compose)
      have kubectl || need+=(kubernetes-client)
      # partner-side package checks with standard tools (docs/packages.md).
      have age || need+=(age)
      have openssl || need+=(openssl)
      have jq || need+=(jq)
      # cmd/counternet: the zsh completion test.
      have zsh || need+=(zsh)
      [ -f /usr/share/java/zookeeper.jar ] || need+=(zookeeper) # the ClickHouse cluster test (internal/load TestClusterLoad)
      ;;
  esac
done
[ ${#need[@]} -eq 0 ] && exit 0

if [ "$(id -u)" -ne 0 ]; then
  echo "counternet needs: ${need[*]}" >&2
  echo "install them with:  sudo apt-get install -y ${need[*]}" >&2
  exit 1
fi
if ! command -v apt-get >/dev/null 2>&1; then
  echo "counternet needs: ${need[*]} (Debian packages); this machine has no apt-get: install them by hand" >&2
  exit 1
fi
echo "installing ${need[*]} with apt-get" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq >/dev/null
apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
# The packages may start their own services where an init system exists;
# counternet runs its own instances with their own configs and ports.
for svc in clickhouse-server tor prometheus; do
  if command -v service >/dev/null 2>&1; then service "$svc" stop >/dev/null 2>&1 || true; fi
done
echo "installed ${need[*]}" >&2
