use super::*;
use std::io::Write;
use std::path::PathBuf;
use std::time::Instant;

const CR1: &str = "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f";
const CR2: &str = "1ca51d8032bbf6e0748bc3852de83b111463295f913ea8a0695ee384a4503848";

fn hex32(s: &str) -> Vec<u8> {
    hex::decode(s).unwrap()
}

#[test]
fn parses_every_label() {
    let master = "916abf9da55973e13614ae0a3f5d3f37b023ba129aee02cc9134338127cd7049781c8e19fc1eb2a7387ac06ae237344c";
    let s32 = "aa87c1bd965ea9e1361d15e7fd671792980da373f34e4eefe1fd21effbd65a80";
    let s48 = format!("{s32}0102030405060708090a0b0c0d0e0f10");
    let text = format!(
        "# SSL/TLS secrets log file\n\
         \n\
         CLIENT_RANDOM {CR1} {master}\n\
         CLIENT_HANDSHAKE_TRAFFIC_SECRET {CR2} {s32}\r\n\
         SERVER_HANDSHAKE_TRAFFIC_SECRET {CR2} {s48}\n\
         CLIENT_TRAFFIC_SECRET_0\t{CR2}  {s32}\n\
         SERVER_TRAFFIC_SECRET_0 {} {s32}\n\
         CLIENT_EARLY_TRAFFIC_SECRET {CR2} {s32}\n\
         EXPORTER_SECRET {CR2} {s32}",
        CR2.to_uppercase()
    );
    let (log, issues) = KeyLog::parse(text.as_bytes());
    assert_eq!(issues, vec![]);
    assert_eq!(log.len(), 2);
    let tls12 = log.get(&hex32(CR1)).unwrap();
    assert_eq!(tls12.master_secret.as_deref(), Some(&hex::decode(master).unwrap()[..]));
    assert_eq!(tls12.missing_labels_for_tls12(), Vec::<&str>::new());
    assert_eq!(tls12.missing_labels_for_tls13().len(), 4);
    let tls13 = log.get(&hex32(CR2)).unwrap();
    assert_eq!(tls13.client_handshake.as_deref(), Some(&hex::decode(s32).unwrap()[..]));
    assert_eq!(tls13.server_handshake.as_ref().unwrap().len(), 48);
    assert!(tls13.client_app0.is_some() && tls13.server_app0.is_some());
    assert!(tls13.client_early.is_some() && tls13.exporter.is_some());
    assert_eq!(tls13.missing_labels_for_tls13(), Vec::<&str>::new());
    assert_eq!(tls13.missing_labels_for_tls12(), vec!["CLIENT_RANDOM"]);
    assert_eq!(tls13.handshake_secret(true), tls13.client_handshake.as_deref());
    assert_eq!(tls13.handshake_secret(false).unwrap().len(), 48);
    assert_eq!(tls13.app_secret(false), tls13.server_app0.as_deref());
    assert!(log.get(&[0u8; 32]).is_none());
    assert!(log.get(&[0u8; 31]).is_none());
    // Secrets never show in debug output.
    assert!(!format!("{tls13:?}").contains("aa87"));
}

#[test]
fn reports_bad_lines_and_keeps_going() {
    let s32 = "aa".repeat(32);
    let text = format!(
        "CLIENT_RANDOM {CR1}\n\
         CLIENT_RANDOM {CR1} {s32}\n\
         CLIENT_HANDSHAKE_TRAFFIC_SECRET 0011 {s32}\n\
         CLIENT_HANDSHAKE_TRAFFIC_SECRET {CR1} {}zz\n\
         CLIENT_HANDSHAKE_TRAFFIC_SECRET {CR1} abc\n\
         FROBNICATE_SECRET {CR1} {s32}\n\
         EARLY_EXPORTER_SECRET {CR1} {s32}\n\
         CLIENT_TRAFFIC_SECRET_N {CR1} {s32}\n\
         RSA 0102030405060708 {}\n\
         SERVER_HANDSHAKE_TRAFFIC_SECRET {CR1} {s32} extra\n\
         SERVER_HANDSHAKE_TRAFFIC_SECRET {CR1} {s32}\n\
         SERVER_HANDSHAKE_TRAFFIC_SECRET {CR1} {}\n\
         {}\n",
        "aa".repeat(31),
        "bb".repeat(48),
        "cc".repeat(32),
        "x".repeat(2000),
    );
    let (log, issues) = KeyLog::parse(text.as_bytes());
    let lines: Vec<usize> = issues.iter().map(|i| i.line).collect();
    assert_eq!(lines, vec![1, 2, 3, 4, 5, 6, 10, 12, 13]);
    assert!(issues[0].reason.contains("three fields"));
    assert!(issues[1].reason.contains("CLIENT_RANDOM secret has 32 bytes, expected 48"));
    assert!(issues[2].reason.contains("client random"));
    assert!(issues[3].reason.contains("not hex"));
    assert!(issues[4].reason.contains("not hex"));
    assert!(issues[5].reason.contains("unknown label FROBNICATE_SECRET"));
    assert!(issues[6].reason.contains("more than three fields"));
    assert!(issues[7].reason.contains("another value"));
    assert!(issues[8].reason.contains("too long"));
    assert_eq!(log.skipped_lines(), 3);
    // The later value of a repeated label wins.
    assert_eq!(log.get(&hex32(CR1)).unwrap().server_handshake.as_deref(), Some(&[0xcc; 32][..]));
}

#[test]
fn issue_list_is_capped() {
    let text = "garbage\n".repeat(1000);
    let (log, issues) = KeyLog::parse(text.as_bytes());
    assert!(log.is_empty());
    assert_eq!(issues.len(), MAX_LISTED_ISSUES + 1);
    let last = issues.last().unwrap();
    assert_eq!(last.line, MAX_LISTED_ISSUES + 1);
    assert!(last.reason.starts_with("900 more"));
}

#[test]
fn merge_and_add_text() {
    let s32 = "11".repeat(32);
    let (mut log, _) = KeyLog::parse(format!("CLIENT_HANDSHAKE_TRAFFIC_SECRET {CR1} {s32}\n").as_bytes());
    let (other, _) = KeyLog::parse(
        format!("SERVER_HANDSHAKE_TRAFFIC_SECRET {CR1} {s32}\nCLIENT_RANDOM {CR2} {}\n", "22".repeat(48)).as_bytes(),
    );
    log.merge(other);
    assert_eq!(log.len(), 2);
    let merged = log.get(&hex32(CR1)).unwrap();
    assert!(merged.client_handshake.is_some() && merged.server_handshake.is_some());
    // Line numbers of add_text count within the added text.
    let issues = log.add_text(format!("# block\nCLIENT_TRAFFIC_SECRET_0 {CR1} {s32}\nbad\n").as_bytes());
    assert_eq!(issues.len(), 1);
    assert_eq!(issues[0].line, 3);
    assert!(log.get(&hex32(CR1)).unwrap().client_app0.is_some());
}

#[test]
fn follower_reads_only_appended_bytes() {
    let dir = std::env::temp_dir().join(format!("tlstrace-keylog-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("follow.log");
    let s32 = "ab".repeat(32);
    let line = |label: &str, cr: &str| format!("{label} {cr} {s32}\n");
    std::fs::write(&path, "# header\n").unwrap();

    let mut log = KeyLog::new();
    let mut follower = KeyLogFollower::new(&path);
    assert_eq!(follower.poll(&mut log).unwrap(), vec![]);
    assert!(log.is_empty());

    // A line written in two pieces: nothing until its newline arrives.
    let full = line("CLIENT_HANDSHAKE_TRAFFIC_SECRET", CR1);
    let (first, second) = full.split_at(40);
    let mut file = std::fs::OpenOptions::new().append(true).open(&path).unwrap();
    file.write_all(first.as_bytes()).unwrap();
    file.flush().unwrap();
    follower.poll(&mut log).unwrap();
    assert!(log.is_empty());
    file.write_all(second.as_bytes()).unwrap();
    file.write_all(b"not a line\n").unwrap();
    file.flush().unwrap();
    let issues = follower.poll(&mut log).unwrap();
    assert_eq!(log.len(), 1);
    assert_eq!(issues.len(), 1);
    assert_eq!(issues[0].line, 3, "line numbers count from the start of the file");
    let consumed = follower.offset();
    assert_eq!(consumed, std::fs::metadata(&path).unwrap().len());

    // An unterminated last line is taken by finish().
    file.write_all(line("SERVER_HANDSHAKE_TRAFFIC_SECRET", CR1).trim_end().as_bytes()).unwrap();
    file.flush().unwrap();
    follower.poll(&mut log).unwrap();
    assert!(log.get(&hex32(CR1)).unwrap().server_handshake.is_none());
    assert_eq!(follower.finish(&mut log), vec![]);
    assert!(log.get(&hex32(CR1)).unwrap().server_handshake.is_some());

    // A file replaced by a shorter one is read again from the start.
    std::fs::write(&path, line("CLIENT_TRAFFIC_SECRET_0", CR2)).unwrap();
    follower.poll(&mut log).unwrap();
    assert_eq!(log.len(), 2);
    assert!(log.get(&hex32(CR2)).unwrap().client_app0.is_some());

    let (loaded, issues) = KeyLog::load(&path).unwrap();
    assert_eq!((loaded.len(), issues.len()), (1, 0));
    assert!(KeyLog::load(&dir.join("missing.log")).is_err());
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn hundred_thousand_lines_in_one_pass() {
    let mut text = String::with_capacity(100_000 * 200);
    for i in 0..100_000u32 {
        let cr = format!("{:056x}{i:08x}", 0);
        let label = if i % 2 == 0 { "CLIENT_RANDOM" } else { "SERVER_TRAFFIC_SECRET_0" };
        let secret = if i % 2 == 0 { "5a".repeat(48) } else { "a5".repeat(32) };
        text.push_str(&format!("{label} {cr} {secret}\n"));
    }
    let start = Instant::now();
    let (log, issues) = KeyLog::parse(text.as_bytes());
    let elapsed = start.elapsed();
    assert_eq!(issues, vec![]);
    assert_eq!(log.len(), 100_000);
    eprintln!("key log: 100000 lines ({} bytes) parsed in {elapsed:?}", text.len());
}

#[test]
fn random_input_never_panics() {
    let mut state = 0x2545_f491_4f6c_dd1du64;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    let alphabet = b"CLIENT_RANDOMSERVERHANDSHAKE0123456789abcdefABCDEF \t\r\n#\xEF\xBB\xBF\x00\xff";
    for round in 0..300 {
        let len = (next() % 4000) as usize;
        let bytes: Vec<u8> = (0..len)
            .map(|_| {
                let r = next();
                if round % 2 == 0 { r as u8 } else { alphabet[(r % alphabet.len() as u64) as usize] }
            })
            .collect();
        let (log, issues) = KeyLog::parse(&bytes);
        assert!(issues.len() <= MAX_LISTED_ISSUES + 1);
        assert!(log.len() <= bytes.len() / 100 + 1);
    }
    // Random mutations of valid lines.
    let valid = format!("CLIENT_RANDOM {CR1} {}\n", "5a".repeat(48)).into_bytes();
    for _ in 0..2000 {
        let mut line = valid.clone();
        for _ in 0..(next() % 4) {
            let at = (next() % line.len() as u64) as usize;
            line[at] = next() as u8;
        }
        let _ = KeyLog::parse(&line);
    }
}

/// Valid lines with client randoms from a counter (TLS 1.2 and 1.3 labels).
fn filler(i: u32) -> String {
    if i.is_multiple_of(2) {
        format!("CLIENT_RANDOM {:056x}{i:08x} {}\n", 0xf11, "5a".repeat(48))
    } else {
        format!("SERVER_HANDSHAKE_TRAFFIC_SECRET {:056x}{i:08x} {}\n", 0xf11, "a5".repeat(32))
    }
}

fn temp_file(name: &str, text: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("tlstrace-keylog-index-{}-{name}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path
}

#[test]
fn file_index_reads_secrets_back_from_any_line() {
    let s32 = "11".repeat(32);
    let mut text = format!("CLIENT_HANDSHAKE_TRAFFIC_SECRET {CR2} {s32}\n");
    for i in 0..5000 {
        text.push_str(&filler(i));
        if i == 2500 {
            text.push_str(&format!("CLIENT_RANDOM {CR1} {}\nbad line\n", "22".repeat(48)));
        }
    }
    // A later value wins, as when the file is parsed whole.
    text.push_str(&format!(
        "SERVER_TRAFFIC_SECRET_0 {CR2} {s32}\nCLIENT_HANDSHAKE_TRAFFIC_SECRET {CR2} {}\n",
        "33".repeat(32)
    ));
    let path = temp_file("index.log", &text);
    let mut announced = Vec::new();
    let (mut log, issues) = KeyLog::open(&path, 1 << 20, &mut |i| announced.push(i.line)).unwrap();
    assert_eq!(issues.len(), 1);
    assert_eq!(issues[0].line, 2504);
    assert!(announced.is_empty());
    assert!(log.has_files() && log.is_empty(), "a regular file is indexed, not held");
    let stats = log.stats();
    assert_eq!((stats.lines, stats.kept, stats.bad_lines, stats.dropped_lines), (5005, 5004, 1, 0));
    assert!(stats.memory <= 8 * (text.len() / 145 + 1), "8 bytes a line: {}", stats.memory);

    let (whole, _) = KeyLog::parse(text.as_bytes());
    for random in [hex32(CR1), hex32(CR2), hex::decode(format!("{:056x}{:08x}", 0xf11, 4999)).unwrap()] {
        assert_eq!(log.secrets_from_files(&random).as_ref(), whole.get(&random), "{}", hex::encode(&random));
    }
    assert_eq!(log.secrets_from_files(&hex32(CR2)).unwrap().client_handshake, Some(vec![0x33; 32]));
    assert!(log.secrets_from_files(&[7u8; 32]).is_none());
    assert!(log.secrets_from_files(&[7u8; 31]).is_none());
    assert_eq!(log.stats().read_errors, 0);
    std::fs::remove_dir_all(path.parent().unwrap()).unwrap();
}

#[test]
fn file_index_drops_what_exceeds_its_limit_and_tells_which() {
    let mut text = String::new();
    for i in 0..3000 {
        text.push_str(&filler(i));
    }
    text.push_str(&format!("CLIENT_RANDOM {CR1} {}\n", "22".repeat(48)));
    let path = temp_file("limit.log", &text);
    let (mut log, issues) = KeyLog::open(&path, 1000 * INDEX_ENTRY_BYTES, &mut |_| {}).unwrap();
    assert_eq!(issues, vec![]);
    let stats = log.stats();
    assert_eq!((stats.kept, stats.dropped_lines, stats.first_dropped_line), (1000, 2001, Some(1001)));
    assert!(stats.memory <= 1000 * INDEX_ENTRY_BYTES);
    assert!(!stats.dropped_not_rereadable);
    // The first lines are indexed, the rest not.
    let first = hex::decode(format!("{:056x}{:08x}", 0xf11, 999)).unwrap();
    assert!(log.secrets_from_files(&first).is_some());
    assert!(log.secrets_from_files(&hex32(CR1)).is_none());
    // Of the connections left without secrets, those whose lines were dropped.
    let candidates: HashSet<[u8; 32]> = [hex32(CR1), hex32(CR2)].map(|r| r.try_into().unwrap()).into();
    let lost = log.lost_to_the_limit(&candidates).unwrap();
    assert_eq!(lost, [<[u8; 32]>::try_from(hex32(CR1)).unwrap()].into());
    std::fs::remove_dir_all(path.parent().unwrap()).unwrap();
}

#[test]
fn secrets_held_in_memory_stay_within_the_limit() {
    let mut text = String::new();
    for i in 0..2000 {
        text.push_str(&filler(i));
    }
    let limit = 100 * (ENTRY_COST + SECRET_COST);
    let mut log = KeyLog::with_limit(limit);
    assert_eq!(log.add_text(text.as_bytes()), vec![]);
    let stats = log.stats();
    assert_eq!((stats.kept, stats.dropped_lines, stats.first_dropped_line), (100, 1900, Some(101)));
    assert!(stats.memory <= limit);
    assert_eq!(log.len(), 100);
    // Dropped text that cannot be read again: which connections lost secrets is unknown.
    assert!(stats.dropped_not_rereadable);
    assert_eq!(log.lost_to_the_limit(&HashSet::new()), None);
    // Merged stats add up.
    let mut all = KeyLog::new();
    all.merge(log);
    assert_eq!(all.stats().dropped_lines, 1900);
}

#[test]
fn open_streams_what_is_not_a_regular_file() {
    let dir = std::env::temp_dir().join(format!("tlstrace-keylog-open-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    assert!(KeyLog::open(&dir, 1 << 20, &mut |_| {}).is_err(), "a directory");
    // /dev/null: a device, read to its end (nothing).
    let (log, issues) = KeyLog::open(Path::new("/dev/null"), 1 << 20, &mut |_| {}).unwrap();
    assert!(!log.has_files() && issues.is_empty() && log.stats().lines == 0);
    std::fs::remove_dir_all(&dir).unwrap();
}
