#!/usr/bin/env bash
# test.sh runs every test of the repository. It installs the servers the
# tests start themselves (redis-server, slapd, ldap-utils, nginx) from
# Debian's packages when they are missing.
set -euo pipefail
cd "$(dirname "$0")/.."

need=()
command -v redis-server >/dev/null || need+=(redis-server)
command -v redis-cli >/dev/null || need+=(redis-tools)
[ -x /usr/sbin/slapd ] || need+=(slapd)
command -v ldapadd >/dev/null || need+=(ldap-utils)
command -v nginx >/dev/null || [ -x /usr/sbin/nginx ] || need+=(nginx-light)

if [ ${#need[@]} -gt 0 ]; then
	echo "test.sh: installing ${need[*]}"
	sudo=""
	[ "$(id -u)" -eq 0 ] || sudo="sudo"
	export DEBIAN_FRONTEND=noninteractive
	$sudo apt-get install -y -q "${need[@]}" >/dev/null 2>&1 ||
		{ $sudo apt-get update -q >/dev/null && $sudo apt-get install -y -q "${need[@]}"; }
fi

# Short socket paths for go-plugin, whatever TMPDIR the caller has.
export TMPDIR=/tmp

go vet ./...
go test -race -count=1 -timeout 15m "${@:-./...}"
