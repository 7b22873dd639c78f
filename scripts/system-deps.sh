#!/usr/bin/env bash
# Installs the Debian packages the tests need, only where missing: etcd-server (the differential test
# runs the same operations against a real etcd), openssl (TLS tests), haproxy (`halyard up`'s load
# balancer, so its real path is tested) and chromium (the dashboard test drives it headless through
# playwright-core). Needs root or sudo, as on the CI and dev machines.
set -euo pipefail
need=()
command -v etcd >/dev/null 2>&1 || need+=(etcd-server)
command -v etcdctl >/dev/null 2>&1 || need+=(etcd-client)
# openssl makes the throwaway CAs of the TLS tests.
command -v openssl >/dev/null 2>&1 || need+=(openssl)
# Debian installs HAProxy in /usr/sbin, often outside a user's PATH.
[ -x /usr/sbin/haproxy ] || command -v haproxy >/dev/null 2>&1 || need+=(haproxy)
[ -x /usr/bin/chromium ] || need+=(chromium)
[ ${#need[@]} -eq 0 ] && exit 0
sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
echo "system-deps: installing ${need[*]} with apt-get" >&2
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq >&2
$sudo apt-get install -y -qq --no-install-recommends "${need[@]}" >&2
