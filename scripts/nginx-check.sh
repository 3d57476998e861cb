#!/usr/bin/env bash
# Checks deploy/nginx/hearth.conf with nginx's own parser (`nginx -t`): the compose service name of
# the upstream is pointed at 127.0.0.1 and a throwaway self-signed certificate stands in for the
# real one. Installs nginx (Debian's package) when it is missing.
set -euo pipefail
cd "$(dirname "$0")/.."
if ! command -v nginx >/dev/null 2>&1; then
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nginx-light >/dev/null
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=localhost \
  -keyout "$work/privkey.pem" -out "$work/fullchain.pem" >/dev/null 2>&1
sed -e 's/server api:8080;/server 127.0.0.1:8080;/' -e "s#/etc/nginx/certs#$work#" \
  deploy/nginx/hearth.conf > "$work/hearth.conf"
cat > "$work/nginx.conf" <<CONF
pid $work/nginx.pid;
error_log $work/error.log;
events {}
http {
  access_log off;
  include $work/hearth.conf;
}
CONF
nginx -t -q -c "$work/nginx.conf" -p "$work"
echo "nginx: deploy/nginx/hearth.conf is valid"
