use super::*;

/// Builds a ClientHello body: legacy version, ciphers, then extensions given as (type, data).
fn hello_body(version: u16, ciphers: &[u16], exts: &[(u16, Vec<u8>)]) -> Vec<u8> {
    let mut b = version.to_be_bytes().to_vec();
    b.extend_from_slice(&[0x11; 32]);
    b.push(0);
    b.extend_from_slice(&u16::try_from(ciphers.len() * 2).unwrap().to_be_bytes());
    for c in ciphers {
        b.extend_from_slice(&c.to_be_bytes());
    }
    b.extend_from_slice(&[1, 0]);
    let mut block = Vec::new();
    for (typ, data) in exts {
        block.extend_from_slice(&typ.to_be_bytes());
        block.extend_from_slice(&u16::try_from(data.len()).unwrap().to_be_bytes());
        block.extend_from_slice(data);
    }
    b.extend_from_slice(&u16::try_from(block.len()).unwrap().to_be_bytes());
    b.extend_from_slice(&block);
    b
}

fn u16_vec16(values: &[u16]) -> Vec<u8> {
    let mut out = u16::try_from(values.len() * 2).unwrap().to_be_bytes().to_vec();
    for v in values {
        out.extend_from_slice(&v.to_be_bytes());
    }
    out
}

fn alpn(protocols: &[&[u8]]) -> Vec<u8> {
    let mut list = Vec::new();
    for p in protocols {
        list.push(u8::try_from(p.len()).unwrap());
        list.extend_from_slice(p);
    }
    let mut out = u16::try_from(list.len()).unwrap().to_be_bytes().to_vec();
    out.extend_from_slice(&list);
    out
}

fn sni(host: &str) -> Vec<u8> {
    let mut entry = vec![0u8];
    entry.extend_from_slice(&u16::try_from(host.len()).unwrap().to_be_bytes());
    entry.extend_from_slice(host.as_bytes());
    let mut out = u16::try_from(entry.len()).unwrap().to_be_bytes().to_vec();
    out.extend_from_slice(&entry);
    out
}

fn supported_versions(versions: &[u16]) -> Vec<u8> {
    let mut out = vec![u8::try_from(versions.len() * 2).unwrap()];
    for v in versions {
        out.extend_from_slice(&v.to_be_bytes());
    }
    out
}

fn client_fp(body: &[u8]) -> std::sync::Arc<Fingerprints> {
    client(&ClientHello::decode(body).unwrap())
}

/// The worked example of the JA4 specification (cipher and extension lists, ALPN h2, the
/// signature algorithms), with GREASE added in every list where clients put it.
#[test]
fn ja4_spec_example_with_grease() {
    let ciphers = [
        0x2a2a, 0x1301, 0x1302, 0x1303, 0xc02b, 0xc02f, 0xc02c, 0xc030, 0xcca9, 0xcca8, 0xc013, 0xc014, 0x009c, 0x009d,
        0x002f, 0x0035,
    ];
    let sig_algs = u16_vec16(&[0x0403, 0x0804, 0x0401, 0x0503, 0x0805, 0x0501, 0x0806, 0x0601]);
    let exts: Vec<(u16, Vec<u8>)> = vec![
        (0x0a0a, vec![]),
        (0x001b, vec![2, 0, 2]),
        (0x0000, sni("example.com")),
        (0x0033, vec![0, 0]),
        (0x0010, alpn(&[b"h2", b"http/1.1"])),
        (0x4469, vec![]),
        (0x0017, vec![]),
        (0x002d, vec![1, 1]),
        (0x000d, sig_algs),
        (0x0005, vec![1, 0, 0, 0, 0]),
        (0x0023, vec![]),
        (0x0012, vec![]),
        (0x002b, supported_versions(&[0x7a7a, 0x0304, 0x0303])),
        (0xff01, vec![0]),
        (0x000b, vec![1, 0]),
        (0x000a, u16_vec16(&[0x6a6a, 0x001d, 0x0017, 0x0018])),
        (0x0015, vec![0; 4]),
        (0x1a1a, vec![0]),
    ];
    let fp = client_fp(&hello_body(0x0303, &ciphers, &exts));
    assert_eq!(fp.ja4, "t13d1516h2_8daaf6152771_e5627efa2ab1");
    assert_eq!(
        fp.ja4_r,
        "t13d1516h2_002f,0035,009c,009d,1301,1302,1303,c013,c014,c02b,c02c,c02f,c030,cca8,cca9_\
         0005,000a,000b,000d,0012,0015,0017,001b,0023,002b,002d,0033,4469,ff01_\
         0403,0804,0401,0503,0805,0501,0806,0601"
    );
    assert_eq!(fp.ja4_o, "t13d1516h2_acb858a92679_18f69afefd3d");
    assert_eq!(
        fp.ja4_ro,
        "t13d1516h2_1301,1302,1303,c02b,c02f,c02c,c030,cca9,cca8,c013,c014,009c,009d,002f,0035_\
         001b,0000,0033,0010,4469,0017,002d,000d,0005,0023,0012,002b,ff01,000b,000a,0015_\
         0403,0804,0401,0503,0805,0501,0806,0601"
    );
    // JA3 keeps the legacy version and wire order, drops GREASE from ciphers, extensions, groups.
    assert_eq!(
        fp.ja3,
        "771,4865-4866-4867-49195-49199-49196-49200-52393-52392-49171-49172-156-157-47-53,\
         27-0-51-16-17513-23-45-13-5-35-18-43-65281-11-10-21,29-23-24,0"
    );
    assert_eq!(fp.ja3_hash, md5_hex(&fp.ja3));
    assert_eq!(fp.ja3_hash.len(), 32);
}

/// Without signature algorithms the `c` string has no trailing underscore (spec value 6d807ffa2a79;
/// its list still names 000d, here an empty signature_algorithms extension).
#[test]
fn ja4_without_signature_algorithms() {
    let exts: Vec<(u16, Vec<u8>)> = [
        0x001b, 0x0000, 0x0033, 0x0010, 0x4469, 0x0017, 0x002d, 0x000d, 0x0005, 0x0023, 0x0012, 0x002b, 0xff01, 0x000b,
        0x000a, 0x0015,
    ]
    .iter()
    .map(|&t| (t, Vec::new()))
    .collect();
    let fp = client_fp(&hello_body(0x0303, &[0x1301], &exts));
    // Empty SNI/ALPN/supported_versions bodies: still "d" (presence counts), ALPN "00", version from legacy.
    assert_eq!(fp.ja4_r, "t12d011600_1301_0005,000a,000b,000d,0012,0015,0017,001b,0023,002b,002d,0033,4469,ff01");
    assert!(fp.ja4.ends_with("_6d807ffa2a79"), "{}", fp.ja4);
}

#[test]
fn ja4_empty_lists_hash_to_zeros() {
    let fp = client_fp(&hello_body(0x0301, &[], &[]));
    assert_eq!(fp.ja4, "t10i000000_000000000000_000000000000");
    assert_eq!(fp.ja4_r, "t10i000000__");
    assert_eq!(fp.ja4_o, "t10i000000_000000000000_000000000000");
    assert_eq!(fp.ja3, "769,,,,");
    // Only SNI and ALPN: the sorted `c` list is empty, the original-order one is not.
    let fp = client_fp(&hello_body(0x0303, &[0x002f], &[(0, sni("a.b")), (16, alpn(&[b"h2"]))]));
    assert_eq!(fp.ja4_r, "t12d0102h2_002f_");
    assert!(fp.ja4.ends_with("_000000000000"));
    assert_eq!(fp.ja4_ro, "t12d0102h2_002f_0000,0010");
    assert!(fp.ja4_o.ends_with("_000000000000"));
}

/// The ALPN rules of the JA4 specification, including its hex examples.
#[test]
fn ja4_alpn_characters() {
    let head = |protocols: &[&[u8]]| {
        let fp = client_fp(&hello_body(0x0303, &[0x1301], &[(16, alpn(protocols))]));
        fp.ja4.get(8..10).unwrap().to_string()
    };
    assert_eq!(head(&[b"h2"]), "h2");
    assert_eq!(head(&[b"http/1.1", b"h2"]), "h1");
    assert_eq!(head(&[b"x"]), "xx");
    assert_eq!(head(&[b""]), "00");
    assert_eq!(head(&[]), "00");
    assert_eq!(head(&[&[0xab]]), "ab");
    assert_eq!(head(&[&[0xab, 0xcd]]), "ad");
    assert_eq!(head(&[&[0x30, 0xab]]), "3b");
    assert_eq!(head(&[&[0x30, 0x31, 0xab, 0xcd]]), "3d");
    assert_eq!(head(&[&[0x30, 0xab, 0xcd, 0x31]]), "01");
    assert_eq!(head(&[b"h/"]), "6f");
    // A malformed ALPN body counts as no value.
    let fp = client_fp(&hello_body(0x0303, &[0x1301], &[(16, vec![0, 9, 2, b'h'])]));
    assert_eq!(fp.ja4.get(8..10), Some("00"));
}

#[test]
fn ja4_versions() {
    let version = |legacy: u16, sv: Option<&[u16]>| {
        let exts: Vec<(u16, Vec<u8>)> = sv.map(|v| vec![(43, supported_versions(v))]).unwrap_or_default();
        client_fp(&hello_body(legacy, &[0x002f], &exts)).ja4.get(1..3).unwrap().to_string()
    };
    assert_eq!(version(0x0303, None), "12");
    assert_eq!(version(0x0300, None), "s3");
    assert_eq!(version(0x0303, Some(&[0x0303, 0x0304, 0x0302])), "13");
    assert_eq!(version(0x0303, Some(&[0xfafa, 0x0303])), "12");
    // A draft version above 0x0304 is the highest and has no code.
    assert_eq!(version(0x0303, Some(&[0x7f1c, 0x0304])), "00");
    // Only GREASE offered: fall back to the legacy version.
    assert_eq!(version(0x0301, Some(&[0x0a0a])), "10");
}

#[test]
fn counts_cap_at_99() {
    let ciphers: Vec<u16> = (1..=120).collect();
    let exts: Vec<(u16, Vec<u8>)> = (100..220).map(|t| (t, Vec::new())).collect();
    let fp = client_fp(&hello_body(0x0303, &ciphers, &exts));
    assert!(fp.ja4.starts_with("t12i9999"), "{}", fp.ja4);
}

#[test]
fn sslv2_format_hello() {
    // SSLv2 CLIENT-HELLO offering TLS 1.0: three specs, two of them TLS suites.
    let mut body = vec![0x03, 0x01, 0x00, 0x09, 0x00, 0x00, 0x00, 0x10];
    body.extend_from_slice(&[0x00, 0x00, 0x39, 0x07, 0x00, 0xc0, 0x00, 0x00, 0x2f]);
    body.extend_from_slice(&[0x42; 16]);
    let ch = ClientHello::decode_sslv2(&body).unwrap();
    let fp = client(&ch);
    assert_eq!(fp.ja3, "769,57-47,,,");
    assert_eq!(fp.ja4_r, "t10i020000_002f,0039_");
    assert_eq!(fp.ja4, format!("t10i020000_{}_000000000000", &sha256_12("002f,0039")));
}

fn sha256_12(s: &str) -> String {
    use sha2::{Digest, Sha256};
    hex::encode(Sha256::digest(s.as_bytes())).get(..12).unwrap().to_string()
}

#[test]
fn ja3s_of_server_hello() {
    let mut body = 0x0303u16.to_be_bytes().to_vec();
    body.extend_from_slice(&[0x22; 32]);
    body.push(0);
    body.extend_from_slice(&0xc02fu16.to_be_bytes());
    body.push(0);
    let exts = [0xff01u16, 0x000b, 0x0023];
    let mut block = Vec::new();
    for e in exts {
        block.extend_from_slice(&e.to_be_bytes());
        block.extend_from_slice(&[0, 0]);
    }
    body.extend_from_slice(&u16::try_from(block.len()).unwrap().to_be_bytes());
    body.extend_from_slice(&block);
    let fp = server(&ServerHello::decode(&body).unwrap());
    // The Arkime openssl-tls1_2 baseline's JA3S string, and its hash.
    assert_eq!(fp.ja3s, "771,49199,65281-11-35");
    assert_eq!(fp.ja3s_hash, "ccc514751b175866924439bdbb5bba34");
    // Seen again: the remembered strings, shared; another suite is not mistaken for it.
    let again = server(&ServerHello::decode(&body).unwrap());
    assert!(std::sync::Arc::ptr_eq(&fp, &again));
    // The suite follows the version, the random and the empty session id.
    body[35..37].copy_from_slice(&0xc030u16.to_be_bytes());
    let other = server(&ServerHello::decode(&body).unwrap());
    assert_eq!(other.ja3s, "771,49200,65281-11-35");
    assert_eq!(other.ja3s_hash, md5_hex("771,49200,65281-11-35"));
}

#[test]
fn filter_matching() {
    let fp = client_fp(&hello_body(0x0303, &[0x1301], &[(0, sni("x.y"))]));
    assert!(matches(&fp.ja4, &fp));
    assert!(matches(&fp.ja4_r, &fp));
    assert!(matches(&fp.ja4_o, &fp));
    assert!(matches(&fp.ja4_ro, &fp));
    assert!(matches(&fp.ja3, &fp));
    assert!(matches(&fp.ja3_hash, &fp));
    assert!(matches(&fp.ja3_hash.to_uppercase(), &fp));
    assert!(!matches(fp.ja4.get(..10).unwrap(), &fp));
    assert!(!matches("", &fp));
    assert!(!matches(&fp.ja4.to_uppercase(), &fp));
}

#[test]
fn serializes_with_documented_keys() {
    let fp = client_fp(&hello_body(0x0303, &[0x1301], &[]));
    let v = serde_json::to_value(&fp).unwrap();
    let keys: Vec<&str> = v.as_object().unwrap().keys().map(String::as_str).collect();
    assert_eq!(keys.len(), 6);
    for k in ["ja3", "ja3_hash", "ja4", "ja4_r", "ja4_o", "ja4_ro"] {
        assert!(keys.contains(&k), "{k}");
    }
    let s = serde_json::to_value(ServerFingerprints { ja3s: "a".into(), ja3s_hash: "b".into() }).unwrap();
    assert_eq!(s, serde_json::json!({"ja3s": "a", "ja3s_hash": "b"}));
}

#[test]
fn remembered_hello_shapes_give_the_same_values_and_new_shapes_their_own() {
    let exts = |host: &str| vec![(0, sni(host)), (16, alpn(&[b"h2"])), (13, u16_vec16(&[0x0403, 0x0804]))];
    let first = client_fp(&hello_body(0x0303, &[0x1301, 0xc02f], &exts("a.example")));
    // Same shape, another server name (only its presence counts): the remembered values.
    let again = client_fp(&hello_body(0x0303, &[0x1301, 0xc02f], &exts("b.example")));
    assert_eq!(first, again);
    // Cipher order differs: the sorted forms agree, the wire-order forms and JA3 do not.
    let swapped = client_fp(&hello_body(0x0303, &[0xc02f, 0x1301], &exts("a.example")));
    assert_eq!((first.ja4.as_str(), first.ja4_r.as_str()), (swapped.ja4.as_str(), swapped.ja4_r.as_str()));
    assert_ne!(first.ja4_o, swapped.ja4_o);
    assert_ne!(first.ja3_hash, swapped.ja3_hash);
    // Only the bytes of a read extension differ: a new shape, new values.
    let mut other_sigs = exts("a.example");
    other_sigs[2] = (13, u16_vec16(&[0x0804, 0x0403]));
    let resigned = client_fp(&hello_body(0x0303, &[0x1301, 0xc02f], &other_sigs));
    assert_eq!(first.ja3, resigned.ja3);
    assert_ne!(first.ja4_ro, resigned.ja4_ro);
    // Each equals what a memo-free computation of its own hello gives: the hashes match their
    // strings.
    for fp in [&first, &swapped] {
        use md5::{Digest, Md5};
        assert_eq!(fp.ja3_hash, hex::encode(Md5::digest(fp.ja3.as_bytes())));
    }
}

/// The memos stay bounded: full, they start over, and the newest entry is kept.
#[test]
fn memo_is_bounded() {
    let mut memo = super::Memo::default();
    let value = std::sync::Arc::new(0u8);
    let before = crate::budget::cache_evictions();
    for key in 0..=super::MEMO_CAPACITY {
        super::remember(&mut memo, key, &value, 8, usize::MAX);
        assert!(memo.map.len() <= super::MEMO_CAPACITY);
    }
    assert_eq!(memo.map.len(), 1);
    assert!(memo.map.contains_key(&super::MEMO_CAPACITY));
    assert!(crate::budget::cache_evictions() >= before + super::MEMO_CAPACITY as u64, "what it forgot is counted");
    // By bytes too: entries of a tenth of the cache's bytes start over after ten.
    let mut memo = super::Memo::default();
    let limit = 100_000;
    let tenth = limit / 10 - super::MEMO_ENTRY_OVERHEAD;
    for key in 0..25 {
        super::remember(&mut memo, key, &value, tenth, limit);
        assert!(memo.bytes <= limit);
        assert!(memo.map.len() <= 10);
    }
    assert_eq!(memo.map.len(), 5, "started over after 10 and after 20");
    // An entry larger than the whole cache is not kept.
    super::remember(&mut memo, 99, &value, limit + 1, limit);
    assert!(!memo.map.contains_key(&99));
}
