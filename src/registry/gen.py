#!/usr/bin/env python3
"""Generate src/registry/tables.rs from the registry CSV files in src/registry/data/.

The CSV files are the source of truth; tables.rs is committed so the crate needs no build
script. Re-run after changing any data file:

    python3 src/registry/gen.py

Only the Python standard library is used. rustfmt, when on PATH, formats the output so that
`cargo fmt --check` stays clean.
"""

import csv
import pathlib
import re
import shutil
import subprocess
import sys

HERE = pathlib.Path(__file__).resolve().parent
DATA = HERE / "data"
OUT = HERE / "tables.rs"

# Registries that become typed wire enums (see wire.rs): (Rust enum name, CSV file, Rust key
# type, Registry variant for extra.csv rows or None, doc line). Their names live only in the
# generated `name()` of the enum; cipher suites, whose names sit in CIPHER_SUITES beside their
# parts, are added in main().
WIRE_ENUMS = [
    ("ExtensionType", "tls-extensiontype-values-1.csv", "u16", "extension", "A hello extension type."),
    ("NamedGroup", "tls-parameters-8.csv", "u16", "group", "A supported group (named curve or KEM)."),
    ("SignatureScheme", "tls-signaturescheme.csv", "u16", "signature_scheme", "A signature scheme."),
    ("AlertDescription", "tls-parameters-6.csv", "u8", None, "An alert description."),
    ("HandshakeType", "tls-parameters-7.csv", "u8", "handshake_type", "A handshake message type."),
    ("ContentType", "tls-parameters-5.csv", "u8", None, "A record content type."),
]

# Alert levels have no IANA registry; RFC 5246 section 7.2 defines both.
ALERT_LEVELS = [(1, "warning"), (2, "fatal")]

# (Rust static name, CSV file, Rust key type, Registry variant for extra.csv rows or None)
NAME_TABLES = [
    ("EC_POINT_FORMATS", "tls-parameters-9.csv", "u8", None),
    ("EC_CURVE_TYPES", "tls-parameters-10.csv", "u8", None),
    ("PSK_KEY_EXCHANGE_MODES", "tls-pskkeyexchangemode.csv", "u8", None),
    ("CERT_COMPRESSION_ALGORITHMS", "tls-certificate-compression-algorithm-ids.csv", "u16", None),
    ("COMPRESSION_METHODS", "comp-meth-ids-2.csv", "u8", None),
    ("CLIENT_CERTIFICATE_TYPES", "tls-parameters-2.csv", "u8", None),
    ("CERTIFICATE_TYPES", "tls-extensiontype-values-3.csv", "u8", None),
    ("CERTIFICATE_STATUS_TYPES", "certificate-status.csv", "u8", None),
    ("SIGNATURE_ALGORITHMS", "tls-parameters-16.csv", "u8", None),
    ("HASH_ALGORITHMS", "tls-parameters-18.csv", "u8", None),
]

# extra.csv registry key -> Rust `Registry` variant.
REGISTRY_VARIANTS = {
    "cipher_suite": "CipherSuite",
    "extension": "Extension",
    "group": "Group",
    "signature_scheme": "SignatureScheme",
    "handshake_type": "HandshakeType",
}


def fail(msg):
    sys.exit(f"gen.py: {msg}")


def read_csv(name):
    with open(DATA / name, newline="", encoding="utf-8") as f:
        rows = list(csv.reader(f))
    if not rows:
        fail(f"{name} is empty")
    return rows[0], rows[1:]


def parse_value(text):
    """Single code point as int; None for ranges ("1-9", "0x00,0x1C-1D", "0x01-09,*")."""
    text = text.strip()
    m = re.fullmatch(r"0x([0-9A-Fa-f]{2}),0x([0-9A-Fa-f]{2})", text)
    if m:
        return int(m.group(1), 16) << 8 | int(m.group(2), 16)
    m = re.fullmatch(r"0x([0-9A-Fa-f]{1,4})", text)
    if m:
        return int(m.group(1), 16)
    if re.fullmatch(r"[0-9]+", text):
        return int(text)
    return None


def clean_name(description, reference):
    """The name a tracer shows, or None for rows that name nothing (Unassigned/Reserved).

    GREASE rows (RFC 8701) are named "GREASE": IANA lists them as "Reserved", which would
    read like a decoding error in a trace. Rename notes and the OBSOLETE marker are dropped
    because they are history, not part of the name.
    """
    name = " ".join(description.split())
    if name == "Reserved" and "RFC8701" in reference:
        return "GREASE"
    lowered = name.lower()
    if lowered.startswith("unassigned") or lowered.startswith("reserved"):
        return None
    name = re.sub(r'\s*\(renamed from "[^"]*"\)', "", name)
    name = re.sub(r"\s*\(OBSOLETE\)", "", name)
    return name


def named_rows(file_name):
    """(code, name) for every single-valued row of a registry CSV that carries a name."""
    header, rows = read_csv(file_name)
    ref_idx = header.index("Reference") if "Reference" in header else None
    out = []
    for row in rows:
        if len(row) < 2:
            fail(f"{file_name}: short row {row!r}")
        code = parse_value(row[0])
        if code is None:
            continue
        reference = row[ref_idx] if ref_idx is not None and ref_idx < len(row) else ""
        name = clean_name(row[1], reference)
        if name is not None:
            out.append((code, name))
    return out


def extra_rows():
    """Rows of extra.csv: (registry key, code, name, note)."""
    header, rows = read_csv("extra.csv")
    if header != ["Registry", "Value", "Name", "Note"]:
        fail(f"extra.csv: unexpected header {header!r}")
    out = []
    for row in rows:
        if len(row) != 4:
            fail(f"extra.csv: bad row {row!r}")
        key, value, name, note = row
        if key not in REGISTRY_VARIANTS:
            fail(f"extra.csv: unknown registry {key!r}")
        code = parse_value(value)
        if code is None:
            fail(f"extra.csv: bad value {value!r}")
        out.append((key, code, name, note))
    return out


# --- cipher suite decomposition -------------------------------------------------------------

# Key exchange part (between the TLS_/SSL_ prefix and _WITH_) that is not a plain
# "<kx>_<auth>" pair. Values are (kx, auth).
SPECIAL_KX = {
    "NULL": ("NULL", "NULL"),
    "RSA": ("RSA", "RSA"),
    "RSA_FIPS": ("RSA", "RSA"),
    "RSA_OLDFIPS": ("RSA", "RSA"),
    "PSK": ("PSK", "PSK"),
    "KRB5": ("KRB5", "KRB5"),
    "ECCPWD": ("ECCPWD", "ECCPWD"),
    "SRP_SHA": ("SRP", "SRP"),
    "SRP_SHA_RSA": ("SRP", "RSA"),
    "SRP_SHA_DSS": ("SRP", "DSS"),
    # RFC 6655 spells DHE_PSK the other way round for these two CCM_8 suites.
    "PSK_DHE": ("DHE", "PSK"),
    "GOSTR341112_256": ("GOSTR341112_256", "GOSTR341112_256"),
    "GOSTR341094": ("GOSTR341094", "GOSTR341094"),
    "GOSTR341001": ("GOSTR341001", "GOSTR341001"),
}
KX_ALGS = {"DH", "DHE", "ECDH", "ECDHE", "RSA"}
AUTH_ALGS = {"DSS", "RSA", "ECDSA", "anon", "PSK"}

# Trailing hash/MAC token -> name used in CipherSuite.mac.
HASHES = {
    "MD5": "MD5",
    "SHA": "SHA1",
    "SHA256": "SHA256",
    "SHA384": "SHA384",
    "SHA512": "SHA512",
    "SM3": "SM3",
    "OMAC": "OMAC",
    "IMIT": "IMIT",
    "GOSTR3411": "GOSTR3411",
    "ASCONHASH256": "ASCONHASH256",
}
AEAD_MARKERS = ("GCM", "CCM", "CHACHA20_POLY1305", "MGM", "AEGIS", "ASCONAEAD")


def resolve_kx(part):
    m = re.fullmatch(r"(.+)_(EXPORT(?:1024)?)", part)
    if m:
        kx, auth = resolve_kx(m.group(1))
        return f"{kx}_{m.group(2)}", auth
    if part in SPECIAL_KX:
        return SPECIAL_KX[part]
    pieces = part.split("_")
    if len(pieces) == 2 and pieces[0] in KX_ALGS and pieces[1] in AUTH_ALGS:
        return pieces[0], pieces[1]
    return None


def split_cipher_mac(part):
    tokens = part.split("_")
    mac = None
    cipher = part
    if len(tokens) > 1 and tokens[-1] in HASHES:
        cipher = "_".join(tokens[:-1])
        mac = HASHES[tokens[-1]]
    if any(marker in cipher for marker in AEAD_MARKERS):
        mac = "AEAD"
    if mac is None:
        return None
    return cipher, mac


def decompose(name):
    """(kx, auth, cipher, mac) derived from the suite's IANA name."""
    if name == "GREASE":
        return ("GREASE",) * 4
    if name.endswith("_SCSV"):
        return ("SCSV",) * 4
    if name == "TLS_NULL_WITH_NULL_NULL":
        return ("NULL",) * 4
    m = re.fullmatch(r"(?:TLS|SSL)_(.+)", name)
    if not m:
        fail(f"cipher suite {name!r}: no TLS_/SSL_ prefix")
    body = m.group(1)
    if body.endswith("_OLD"):
        body = body[: -len("_OLD")]
    if "_WITH_" in body:
        kx_part, rest = body.split("_WITH_", 1)
        kx_auth = resolve_kx(kx_part)
        cipher_mac = split_cipher_mac(rest)
        if kx_auth is None or cipher_mac is None:
            fail(f"cipher suite {name!r}: cannot decompose")
        return kx_auth + cipher_mac
    # TLS 1.3 style: only the AEAD and the HKDF hash are named.
    m = re.fullmatch(r"(SHA\d+)_\1", body)
    if m:  # RFC 9150 integrity-only suites: no encryption at all.
        return ("TLS13", "TLS13", "NULL", m.group(1))
    cipher_mac = split_cipher_mac(body)
    if cipher_mac is None or cipher_mac[1] != "AEAD":
        fail(f"cipher suite {name!r}: cannot decompose")
    return ("TLS13", "TLS13") + cipher_mac


# --- output ---------------------------------------------------------------------------------


def rust_str(text):
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def hex_code(code, width):
    return f"0x{code:04x}" if width == "u16" else f"0x{code:02x}"


def merge(table, rows, extras, width):
    by_code = {}
    for code, name in rows:
        if code in by_code:
            fail(f"{table}: duplicate code {code:#x}")
        by_code[code] = name
    for code, name in extras:
        if code in by_code:
            fail(f"{table}: extra.csv repeats IANA code {code:#x} ({by_code[code]})")
        by_code[code] = name
    limit = 0xFFFF if width == "u16" else 0xFF
    for code in by_code:
        if code > limit:
            fail(f"{table}: code {code:#x} does not fit {width}")
    return sorted(by_code.items())


def variant_ident(name, used):
    """A CamelCase Rust identifier for a registry name: "server_name" -> ServerName,
    "server_key_exchange_RESERVED" -> ServerKeyExchange (the suffix marks TLS 1.3 retirement,
    not a different message). Cipher suite names are kept as IANA spells them, as rustls does."""
    if re.fullmatch(r"(TLS|SSL)_[A-Za-z0-9_]+", name):
        ident = name
    else:
        name = re.sub(r"_RESERVED$", "", name)
        parts = [p for p in re.split(r"[^A-Za-z0-9]+", name) if p]
        ident = "".join(p[:1].upper() + p[1:] for p in parts)
    if not ident or ident[0].isdigit():
        fail(f"name {name!r} gives no Rust identifier")
    if ident in used or ident in ("Unknown", "Grease"):
        fail(f"name {name!r} repeats identifier {ident}")
    used.add(ident)
    return ident


def wire_enum(out, enum, width, rows, doc, named=True):
    """One `wire_enum!` call; GREASE rows become the `Grease` variant."""
    grease = [code for code, name in rows if name == "GREASE"]
    if grease and grease != [c for c in range(0x0A0A, 0x10000, 0x1010)]:
        fail(f"{enum}: GREASE rows are not the 16 RFC 8701 values")
    used = set()
    out.append("wire_enum! {")
    out.append(f"    /// {doc}")
    # Variants keep the registry's spelling (MLKEM768, TLS_AES_128_GCM_SHA256) so they grep.
    if enum == "CipherSuiteId":
        out.append("    #[allow(non_camel_case_types)]")
    out.append("    #[allow(clippy::upper_case_acronyms)]")
    out.append(f"    pub enum {enum}({width}) {{")
    for code, name in rows:
        if name == "GREASE":
            continue
        text = f" => {rust_str(name)}" if named else ""
        out.append(f"        {variant_ident(name, used)} = {hex_code(code, width)}{text},")
    out.append("    }")
    if grease:
        out.append("    grease")
    out.append("}")
    out.append("")


def signature_pairs(out, schemes):
    """SIGNATURE_PAIRS: the TLS 1.2 (hash, signature) pairs RFC 5246 defines (MD5..SHA-512 with
    RSA, DSA or ECDSA) that the SignatureScheme registry does not list, named from the
    HashAlgorithm and SignatureAlgorithm registries the way that registry names its own pairs
    ("ecdsa_sha1", "rsa_pkcs1_sha256"): "dsa_sha256", "ecdsa_sha224", "rsa_pkcs1_sha224"."""
    hashes = dict(named_rows("tls-parameters-18.csv"))
    signatures = dict(named_rows("tls-parameters-16.csv"))
    listed = {code for code, _ in schemes}
    out.append("#[rustfmt::skip]")
    out.append("pub(super) static SIGNATURE_PAIRS: &[(u16, &str)] = &[")
    for hash_code in range(1, 7):
        for sig_code in range(1, 4):
            code = hash_code << 8 | sig_code
            if code in listed:
                continue
            signature = "rsa_pkcs1" if signatures[sig_code] == "rsa" else signatures[sig_code]
            out.append(f"    ({hex_code(code, 'u16')}, {rust_str(signature + '_' + hashes[hash_code])}),")
    out.append("];")
    out.append("")


def main():
    extras = extra_rows()
    extras_by_registry = {}
    for key, code, name, _note in extras:
        extras_by_registry.setdefault(key, []).append((code, name))

    out = [
        "// @generated by src/registry/gen.py from the CSV files in src/registry/data/.",
        "// Do not edit: change the data and run `python3 src/registry/gen.py`.",
        "",
        "use super::{CipherSuite, Registry};",
        "use crate::registry::wire::wire_enum;",
        "",
        "// One entry per line keeps the tables greppable and the diffs of data updates small.",
        "const fn suite(",
        "    code: u16,",
        "    name: &'static str,",
        "    kx: &'static str,",
        "    auth: &'static str,",
        "    cipher: &'static str,",
        "    mac: &'static str,",
        ") -> CipherSuite {",
        "    CipherSuite {",
        "        code,",
        "        name,",
        "        kx,",
        "        auth,",
        "        cipher,",
        "        mac,",
        "    }",
        "}",
        "",
    ]

    suites = merge(
        "CIPHER_SUITES",
        named_rows("tls-parameters-4.csv"),
        extras_by_registry.get("cipher_suite", []),
        "u16",
    )
    out.append("#[rustfmt::skip]")
    out.append("pub(super) static CIPHER_SUITES: &[CipherSuite] = &[")
    for code, name in suites:
        fields = ", ".join(rust_str(f) for f in (name,) + decompose(name))
        out.append(f"    suite({hex_code(code, 'u16')}, {fields}),")
    out.append("];")
    out.append("")

    wire_enum(out, "CipherSuiteId", "u16", [(c, n) for c, n in suites], "A cipher suite.", named=False)
    sig_schemes = []
    for enum, file_name, width, extra_key, doc in WIRE_ENUMS:
        rows = merge(
            enum,
            named_rows(file_name),
            extras_by_registry.get(extra_key, []) if extra_key else [],
            width,
        )
        wire_enum(out, enum, width, rows, doc)
        if enum == "SignatureScheme":
            sig_schemes = rows
    wire_enum(out, "AlertLevel", "u8", ALERT_LEVELS, "An alert level.")

    for static, file_name, width, extra_key in NAME_TABLES:
        rows = merge(
            static,
            named_rows(file_name),
            extras_by_registry.get(extra_key, []) if extra_key else [],
            width,
        )
        out.append("#[rustfmt::skip]")
        out.append(f"pub(super) static {static}: &[({width}, &str)] = &[")
        for code, name in rows:
            out.append(f"    ({hex_code(code, width)}, {rust_str(name)}),")
        out.append("];")
        out.append("")

    signature_pairs(out, sig_schemes)

    used_keys = {"cipher_suite"} | {t[3] for t in NAME_TABLES + WIRE_ENUMS if t[3]}
    out.append("#[rustfmt::skip]")
    out.append("pub(super) static UNOFFICIAL: &[(Registry, u16, &str)] = &[")
    for key, code, _name, note in sorted(extras, key=lambda e: (e[0], e[1])):
        if key not in used_keys:
            fail(f"extra.csv: registry {key!r} has no table")
        out.append(f"    (Registry::{REGISTRY_VARIANTS[key]}, {code:#06x}, {rust_str(note)}),")
    out.append("];")

    OUT.write_text("\n".join(out) + "\n", encoding="utf-8")
    rustfmt = shutil.which("rustfmt")
    if rustfmt:
        subprocess.run([rustfmt, "--edition", "2024", str(OUT)], check=True)
    else:
        print("gen.py: rustfmt not found; run `cargo fmt` before committing", file=sys.stderr)
    print(f"wrote {OUT.relative_to(HERE.parent.parent)}: {len(suites)} cipher suites")


if __name__ == "__main__":
    main()
