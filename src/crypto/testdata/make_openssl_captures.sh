#!/usr/bin/env bash
# Regenerates openssl_sessions.pcap and openssl_sessions.keylog: one TLS session per cipher mode
# this module decrypts, between openssl s_client and s_server on 127.0.0.1, captured with tcpdump
# (root needed). The tests in src/crypto/tests.rs expect the sessions, ports and payloads below.
set -euo pipefail
out="$(cd "$(dirname "$0")" && pwd)"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
cd "$work"

openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout key.pem -out cert.pem \
    -days 3650 -subj /CN=tlstrace.test 2>/dev/null

# port | s_client/s_server options | key update from the client (1/0)
sessions=(
    "45001|-tls1_2 -cipher ECDHE-ECDSA-CHACHA20-POLY1305|0"
    "45002|-tls1_2 -cipher ECDHE-ECDSA-AES128-CCM|0"
    "45003|-tls1_2 -cipher ECDHE-ECDSA-AES256-CCM8|0"
    "45004|-tls1_2 -cipher ECDHE-ECDSA-AES128-GCM-SHA256|0"
    "45005|-tls1_2 -cipher ECDHE-ECDSA-AES256-SHA384|0"
    "45006|-tls1_2 -no_etm -cipher ECDHE-ECDSA-AES128-SHA|0"
    "45007|-tls1_1 -cipher ECDHE-ECDSA-AES128-SHA:@SECLEVEL=0|0"
    "45008|-tls1 -no_etm -cipher ECDHE-ECDSA-AES256-SHA:@SECLEVEL=0|0"
    "45009|-tls1 -cipher ECDHE-ECDSA-AES128-SHA:@SECLEVEL=0|0"
    "45010|-tls1_3 -ciphersuites TLS_AES_128_CCM_SHA256|0"
    "45011|-tls1_3 -ciphersuites TLS_AES_128_CCM_8_SHA256|0"
    "45012|-tls1_3 -ciphersuites TLS_CHACHA20_POLY1305_SHA256|1"
    "45013|-tls1_3 -ciphersuites TLS_AES_256_GCM_SHA384 HRR|1"
)

for entry in "${sessions[@]}"; do
    IFS='|' read -r port opts keyupdate <<<"$entry"
    client_opts="$opts" server_opts="$opts"
    if [[ "$opts" == *HRR* ]]; then
        # The client's first key share (P-256) is not the server's choice: HelloRetryRequest.
        client_opts="${opts/ HRR/} -groups P-256:X25519"
        server_opts="${opts/ HRR/} -groups X25519"
    fi
    tcpdump -i lo -U -w "cap_$port.pcap" "tcp port $port" 2>/dev/null &
    dump=$!
    sleep 1
    (sleep 1; printf 'server says hello %s\n' "$port"; sleep 2) |
        openssl s_server -accept "127.0.0.1:$port" -cert cert.pem -key key.pem -naccept 1 $server_opts \
            >/dev/null 2>&1 &
    server=$!
    sleep 0.5
    {
        sleep 0.5
        printf 'client says hello %s\n' "$port"
        sleep 0.3
        if [ "$keyupdate" = 1 ]; then
            printf 'k\n'
            sleep 0.3
            printf 'after key update %s\n' "$port"
            sleep 0.3
        fi
        sleep 1
    } | openssl s_client -connect "127.0.0.1:$port" -keylogfile keylog.txt $client_opts >/dev/null 2>&1 || true
    wait "$server" || true
    sleep 0.5
    kill "$dump"
    wait "$dump" 2>/dev/null || true
done

mergecap -F pcap -w "$out/openssl_sessions.pcap" cap_*.pcap
cp keylog.txt "$out/openssl_sessions.keylog"
