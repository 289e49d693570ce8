use serde::Serialize;
use std::collections::BTreeMap;

/// Numbers of every length and booleans.
#[test]
fn numbers_of_every_length() {
    let mut n = 0u64;
    for digits in 1..=20 {
        for value in [n, n.saturating_add(7), 10u64.saturating_pow(digits).saturating_sub(1)] {
            let mut out = b"x".to_vec();
            super::write_display(&mut out, value);
            assert_eq!(out, format!("x{value}").into_bytes());
        }
        n = 10u64.saturating_pow(digits);
    }
    for v in [true, false, true] {
        assert_eq!(both(&v), (v.to_string(), v.to_string()));
    }
    let (ours, sonic) = both(&(-1_234_567i32, 255u8, 0u16, u64::MAX, i64::MIN, [1u8, 22, 233]));
    assert_eq!(ours, sonic);
}

fn both<T: Serialize>(value: &T) -> (String, String) {
    let mut ours = Vec::new();
    super::write(&mut ours, value).expect("writes");
    (String::from_utf8(ours).expect("utf-8"), sonic_rs::to_string(value).expect("sonic writes"))
}

#[derive(Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
enum Tagged {
    Plain { a: u8 },
    Wrapped(Inner),
}

#[derive(Serialize)]
struct Inner {
    text: String,
    #[serde(flatten)]
    more: Flat,
    empty: Vec<u8>,
    none: Option<u8>,
    time: crate::time::Timestamp,
}

#[derive(Serialize)]
struct Flat {
    x: i64,
    y: f64,
}

#[derive(Serialize)]
enum External {
    Unit,
    New(u8),
    Tuple(u8, String),
    Struct { z: bool },
}

#[derive(Serialize)]
struct Empty {}

#[test]
fn same_bytes_as_sonic_rs() {
    let strings = [
        "",
        "plain",
        "quote \" backslash \\ slash /",
        "control \u{1} \u{1f} tab\t newline\n",
        "unicode é ☃ 😀 and DEL \u{7f}",
        "a long string that goes past the thirty-two bytes of one SIMD lane, twice over, with \"quotes\"",
    ];
    for s in strings {
        let (a, b) = both(&s);
        assert_eq!(a, b);
    }
    let numbers = (u64::MAX, i64::MIN, -1i8, 0u16, 1.5f64, -0.0f64, 1e300f64, f64::NAN, f32::INFINITY, 0.1f32);
    let (a, b) = both(&numbers);
    assert_eq!(a, b);
    let mut map = BTreeMap::new();
    map.insert("k \"1\"".to_string(), vec![Some(1u8), None]);
    map.insert("k2".to_string(), vec![]);
    let (a, b) = both(&map);
    assert_eq!(a, b);
    let mut int_keys = BTreeMap::new();
    int_keys.insert(7u16, 'c');
    int_keys.insert(9u16, '"');
    let (a, b) = both(&int_keys);
    assert_eq!(a, b);
    let tagged = vec![
        Tagged::Plain { a: 1 },
        Tagged::Wrapped(Inner {
            text: "t".into(),
            more: Flat { x: -3, y: 2.25 },
            empty: vec![],
            none: None,
            time: crate::time::Timestamp::new(1_700_000_000, 123_456_000, 6),
        }),
    ];
    let (a, b) = both(&tagged);
    assert_eq!(a, b);
    let external = vec![External::Unit, External::New(2), External::Tuple(3, "x".into()), External::Struct { z: true }];
    let (a, b) = both(&external);
    assert_eq!(a, b);
    let (a, b) = both(&(Empty {}, (), [0u8; 0], b"bytes".as_slice()));
    assert_eq!(a, b);
}

#[test]
fn keys_that_are_not_strings_or_numbers_are_refused() {
    let mut map = BTreeMap::new();
    map.insert(vec![1u8], 1u8);
    assert!(super::write(&mut Vec::new(), &map).is_err());
}
