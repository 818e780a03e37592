#!/usr/bin/env bash
# make-pki.sh - a throwaway certificate authority and one server
# certificate it signed, for 127.0.0.1 and localhost, valid two days:
# what the TLS test and the TLS benchmark run a cluster with. Never for a
# real cluster (the CA's key sits beside it, unprotected).
# usage: scripts/make-pki.sh DIR   -> DIR/ca.pem, DIR/server.pem, DIR/server.key (0600)
set -euo pipefail
dir=$1
mkdir -p "$dir"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2 \
    -subj "/CN=minidfs test CA" -keyout "$dir/ca.key" -out "$dir/ca.pem" 2>/dev/null
openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -subj "/CN=127.0.0.1" \
    -keyout "$dir/server.key" -out "$dir/server.csr" 2>/dev/null
printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\n' >"$dir/ext"
openssl x509 -req -in "$dir/server.csr" -CA "$dir/ca.pem" -CAkey "$dir/ca.key" \
    -CAcreateserial -days 2 -extfile "$dir/ext" -out "$dir/server.pem" 2>/dev/null
chmod 600 "$dir/server.key"
