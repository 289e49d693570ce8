//! Snapshot tests of the text view, with colors off and on. The snapshots in tests/snapshots/
//! are the exact output for fixed fixtures; `UPDATE_SNAPSHOTS=1 cargo test --test text_view`
//! rewrites them after a deliberate change (review the diff).

mod common;

fn check(name: &str, args: &[&str]) {
    let out = common::run(args);
    assert!(out.status.success(), "{args:?}: {}", String::from_utf8_lossy(&out.stderr));
    let path = common::repo().join("tests/snapshots").join(name);
    if std::env::var_os("UPDATE_SNAPSHOTS").is_some() {
        std::fs::write(&path, &out.stdout).unwrap();
        return;
    }
    let want = std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    assert!(
        out.stdout == want,
        "{name} differs from its snapshot:\n--- got ---\n{}\n--- want ---\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&want)
    );
}

fn fixture(name: &str) -> String {
    common::fixture(name).to_str().unwrap().to_string()
}

#[test]
fn ladder_without_colors() {
    check("alert-unknown-ca.txt", &["read", "--color", "never", &fixture("tls12-alert-unknown-ca.pcap")]);
    let keylog = fixture("tls13-hrr.keylog");
    check("tls13-hrr-decrypted.txt", &["read", "--color", "never", "--keylog", &keylog, &fixture("tls13-hrr.pcap")]);
}

#[test]
fn ladder_with_colors() {
    let out = check_colored();
    // Red for the failed handshake and the alert.
    assert!(out.contains("\u{1b}[1;31m") || out.contains("\u{1b}[31m"), "no red in {out:?}");
}

fn check_colored() -> String {
    check("alert-unknown-ca.ansi", &["read", "--color", "always", &fixture("tls12-alert-unknown-ca.pcap")]);
    String::from_utf8(std::fs::read(common::repo().join("tests/snapshots/alert-unknown-ca.ansi")).unwrap()).unwrap()
}

#[test]
fn no_escape_codes_when_not_a_terminal() {
    // `auto` (the default) with stdout captured by a pipe: plain text.
    let out = common::run(&["read", &fixture("tls12-alert-unknown-ca.pcap")]);
    assert!(!out.stdout.contains(&0x1b));
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_tlstrace"))
        .args(["read", "--color", "always", &fixture("tls12-alert-unknown-ca.pcap")])
        .env("NO_COLOR", "1")
        .output()
        .unwrap();
    // An explicit --color always wins over NO_COLOR (like other tools); auto honours it.
    assert!(out.stdout.contains(&0x1b));
}

#[test]
fn quiet_and_verbose() {
    check("resume-ticket-quiet.txt", &["read", "-q", "--color", "never", &fixture("tls12-resume-ticket.pcap")]);
    check("rsa-kx-verbose.txt", &["read", "-v", "--color", "never", &fixture("tls12-rsa-kx.pcap")]);
}
