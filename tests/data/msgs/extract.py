#!/usr/bin/env python3
"""Cuts the handshake messages used by the `msgs` and `certs` unit tests out of the project's own
capture fixtures (fixtures/captures), decrypting with each capture's key log, and writes one
`.hex` file per message plus the table in README.md.

Run from the repository root: `python3 tests/data/msgs/extract.py` (needs tshark 4.x).
"""
import json
import os
import subprocess
import sys

# file name, capture, frame, handshake type (or "alert"), which occurrence of that type in the frame
MESSAGES = [
    ("tls12-ecdhe-rsa-client-hello", "tls12-ecdhe-rsa-chain.pcap", 4, 1, 1),
    ("tls12-ecdhe-rsa-server-hello", "tls12-ecdhe-rsa-chain.pcap", 6, 2, 1),
    ("tls12-ecdhe-rsa-certificate", "tls12-ecdhe-rsa-chain.pcap", 6, 11, 1),
    ("tls12-ecdhe-rsa-server-key-exchange", "tls12-ecdhe-rsa-chain.pcap", 6, 12, 1),
    ("tls12-ecdhe-rsa-server-hello-done", "tls12-ecdhe-rsa-chain.pcap", 6, 14, 1),
    ("tls12-ecdhe-rsa-client-key-exchange", "tls12-ecdhe-rsa-chain.pcap", 8, 16, 1),
    ("tls12-ecdhe-rsa-client-finished", "tls12-ecdhe-rsa-chain.pcap", 8, 20, 1),
    ("tls12-ecdhe-rsa-new-session-ticket", "tls12-ecdhe-rsa-chain.pcap", 9, 4, 1),
    ("tls12-dhe-rsa-server-key-exchange", "tls12-dhe-rsa.pcap", 6, 12, 1),
    ("tls12-dhe-rsa-client-key-exchange", "tls12-dhe-rsa.pcap", 8, 16, 1),
    ("tls12-rsa-kx-server-hello", "tls12-rsa-kx.pcap", 6, 2, 1),
    ("tls12-rsa-kx-client-key-exchange", "tls12-rsa-kx.pcap", 8, 16, 1),
    ("tls12-ecdsa-certificate", "tls12-ecdhe-ecdsa-aes128gcm.pcap", 6, 11, 1),
    ("tls12-ecdsa-server-key-exchange", "tls12-ecdhe-ecdsa-aes128gcm.pcap", 6, 12, 1),
    ("tls12-clientauth-certificate-request", "tls12-client-auth.pcap", 6, 13, 1),
    ("tls12-clientauth-client-certificate", "tls12-client-auth.pcap", 8, 11, 1),
    ("tls12-clientauth-certificate-verify", "tls12-client-auth.pcap", 8, 15, 1),
    ("tls12-expired-certificate", "tls12-cert-expired.pcap", 6, 11, 1),
    ("tls12-badsig-certificate", "tls12-cert-badsig.pcap", 6, 11, 1),
    ("tls12-unknown-ca-alert", "tls12-alert-unknown-ca.pcap", 8, "alert", 1),
    ("tls12-renegotiation-hello-request", "tls12-renegotiation-server.pcap", 12, 0, 1),
    ("tls12-renegotiation-client-hello", "tls12-renegotiation-server.pcap", 13, 1, 1),
    ("tls12-renegotiation-server-hello", "tls12-renegotiation-server.pcap", 15, 2, 1),
    ("tls12-resume-ticket-client-hello", "tls12-resume-ticket.pcap", 21, 1, 1),
    ("tls10-server-hello", "tls10-ecdhe-rsa-cbc.pcap", 6, 2, 1),
    ("tls10-server-key-exchange", "tls10-ecdhe-rsa-cbc.pcap", 6, 12, 1),
    ("tls11-server-key-exchange", "tls11-ecdhe-rsa-cbc.pcap", 6, 12, 1),
    ("tls13-client-hello", "tls13-x25519-alpn.pcap", 4, 1, 1),
    ("tls13-server-hello", "tls13-x25519-alpn.pcap", 6, 2, 1),
    ("tls13-encrypted-extensions", "tls13-x25519-alpn.pcap", 6, 8, 1),
    ("tls13-certificate", "tls13-x25519-alpn.pcap", 6, 11, 1),
    ("tls13-certificate-verify", "tls13-x25519-alpn.pcap", 6, 15, 1),
    ("tls13-server-finished", "tls13-x25519-alpn.pcap", 6, 20, 1),
    ("tls13-new-session-ticket", "tls13-x25519-alpn.pcap", 9, 4, 1),
    ("tls13-clientauth-encrypted-extensions", "tls13-client-auth.pcap", 6, 8, 1),
    ("tls13-clientauth-certificate-request", "tls13-client-auth.pcap", 6, 13, 1),
    ("tls13-clientauth-client-certificate", "tls13-client-auth.pcap", 8, 11, 1),
    ("tls13-clientauth-certificate-verify", "tls13-client-auth.pcap", 8, 15, 1),
    ("tls13-clientauth-client-finished", "tls13-client-auth.pcap", 8, 20, 1),
    ("tls13-hrr-client-hello-1", "tls13-hrr.pcap", 4, 1, 1),
    ("tls13-hrr-server-hello", "tls13-hrr.pcap", 6, 2, 1),
    ("tls13-hrr-client-hello-2", "tls13-hrr.pcap", 8, 1, 1),
    ("tls13-hrr-server-hello-2", "tls13-hrr.pcap", 9, 2, 1),
    ("tls13-psk-client-hello", "tls13-resume-psk.pcap", 22, 1, 1),
    ("tls13-psk-server-hello", "tls13-resume-psk.pcap", 24, 2, 1),
    ("tls13-early-data-new-session-ticket", "tls13-early-data.pcap", 10, 4, 1),
    ("tls13-early-data-client-hello", "tls13-early-data.pcap", 21, 1, 1),
    ("tls13-early-data-encrypted-extensions", "tls13-early-data.pcap", 23, 8, 1),
    ("tls13-end-of-early-data", "tls13-early-data.pcap", 25, 5, 1),
    ("tls13-unknown-ca-alert", "tls13-alert-unknown-ca.pcap", 8, "alert", 1),
    ("gnutls-tls12-client-hello", "gnutls-tls12.pcap", 4, 1, 1),
    ("gnutls-tls12-server-hello", "gnutls-tls12.pcap", 6, 2, 1),
    ("gnutls-tls13-client-hello", "gnutls-tls13.pcap", 4, 1, 1),
    ("gnutls-tls13-server-hello", "gnutls-tls13.pcap", 6, 2, 1),
    ("gnutls-tls13-encrypted-extensions", "gnutls-tls13.pcap", 8, 8, 1),
    ("gnutls-tls13-new-session-ticket", "gnutls-tls13.pcap", 10, 4, 1),
]


def pairs(kv):
    """JSON object hook that keeps duplicate keys (tshark repeats keys for repeated fields)."""
    return kv


def walk(node, out):
    """Every handshake message and alert of one packet, in order, as (kind, hex)."""
    if isinstance(node, list) and node and all(isinstance(p, tuple) and len(p) == 2 for p in node):
        for key, value in node:
            if key == "tls.handshake_raw" and isinstance(value, list) and isinstance(value[0], str):
                out.append(("hs", value[0]))
            elif key == "tls.alert_message_raw" and isinstance(value, list) and isinstance(value[0], str):
                out.append(("alert", value[0]))
            else:
                walk(value, out)
    elif isinstance(node, list):
        for item in node:
            walk(item, out)


def messages_by_frame(capture, keylog):
    args = ["tshark", "-r", capture, "-o", "tls.keylog_file:" + keylog, "-T", "json", "-x"]
    raw = subprocess.run(args, capture_output=True, check=True).stdout
    frames = {}
    for packet in json.loads(raw, object_pairs_hook=pairs):
        layers = dict(dict(packet)["_source"])["layers"]
        frame = int(dict(dict(layers)["frame"])["frame.number"])
        out = []
        walk(layers, out)
        frames[frame] = out
    return frames


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    captures = os.path.join(here, "..", "..", "..", "fixtures", "captures")
    cache = {}
    rows = []
    for name, capture, frame, kind, nth in MESSAGES:
        if capture not in cache:
            keylog = os.path.join(captures, capture.split(".")[0] + ".keylog")
            cache[capture] = messages_by_frame(os.path.join(captures, capture), keylog)
        found = [
            h
            for k, h in cache[capture].get(frame, [])
            if (kind == "alert" and k == "alert") or (k == "hs" and kind != "alert" and int(h[:2], 16) == kind)
        ]
        if len(found) < nth:
            sys.exit(f"{name}: no message {kind} #{nth} in {capture} frame {frame}")
        hex_text = found[nth - 1].lower()
        with open(os.path.join(here, name + ".hex"), "w") as f:
            f.write(hex_text + "\n")
        rows.append(f"| `{name}.hex` | `captures/{capture}` | {frame} | {len(hex_text) // 2} |")
    print("\n".join(rows))


if __name__ == "__main__":
    main()
