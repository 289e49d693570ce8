//! The command line's arguments (clap).

use clap::{Args, Parser, Subcommand};

#[derive(Parser, Debug)]
#[command(name = "tlstrace", version, about = "Trace and explain TLS handshakes in captures and on live interfaces")]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Trace the TLS connections in a capture file (pcap, pcapng, optionally gzip; `-` for stdin);
    /// `--tui` explores them interactively.
    Read(ReadArgs),
    /// Trace TLS handshakes live from a network interface (`any` for all; needs CAP_NET_RAW);
    /// `--tui` explores them interactively as they happen.
    Capture(CaptureArgs),
}

#[derive(Args, Debug)]
pub struct ReadArgs {
    /// Capture file (pcap or pcapng, optionally gzip-compressed); `-` reads standard input.
    pub file: String,
    #[command(flatten)]
    pub output: OutputArgs,
    #[command(flatten)]
    pub keys: KeyArgs,
    #[command(flatten)]
    pub limits: LimitArgs,
    #[command(flatten)]
    pub trust: super::trust::TrustArgs,
    /// 1: read, decode and write on one thread. 2: decode on a second thread while the first
    /// reads the capture and writes the output (same output, in the same order). Default: 2
    /// when the machine has two or more CPUs.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u8).range(1..=2))]
    pub threads: Option<u8>,
}

#[derive(Args, Debug, Clone)]
pub struct LimitArgs {
    /// Memory for everything that grows with the input (flows, reassembly, partial records,
    /// fragments, key log index, caches): 64M, 1G, ... When a part reaches its share, its least
    /// recently active state is evicted and counted.
    #[arg(long, value_name = "SIZE", default_value = "256M", value_parser = parse_memory_limit)]
    pub memory_limit: crate::budget::MemoryBudget,
}

fn parse_memory_limit(text: &str) -> Result<crate::budget::MemoryBudget, String> {
    crate::budget::MemoryBudget::parse(text).map_err(|e| e.to_string())
}

#[derive(Args, Debug, Clone)]
pub struct KeyArgs {
    /// NSS key log (SSLKEYLOGFILE format) to decrypt handshakes and verify Finished messages.
    /// Without it, the SSLKEYLOGFILE environment variable is used when set.
    #[arg(long, value_name = "FILE")]
    pub keylog: Option<std::path::PathBuf>,
    /// Show decrypted application data, up to this many bytes per record (default: sizes only).
    #[arg(long, value_name = "BYTES", num_args = 0..=1, default_missing_value = "256")]
    pub show_data: Option<usize>,
    /// A server's RSA private key (PEM or DER, PKCS#1 or PKCS#8; repeatable): decrypts the
    /// RSA key exchanges whose server certificate holds its public key.
    #[arg(long = "rsa-key", value_name = "FILE")]
    pub rsa_keys: Vec<std::path::PathBuf>,
    /// Password of encrypted `--rsa-key` files (else the TLSTRACE_KEY_PASSWORD environment
    /// variable; never asked for).
    #[arg(long, value_name = "PASSWORD")]
    pub rsa_key_password: Option<String>,
    /// Put the premaster and master secrets in the key derivation (`-v`, JSON, the explorer).
    #[arg(long)]
    pub show_secrets: bool,
    /// Write every secret used or derived (master secrets, TLS 1.3 traffic secrets) to FILE in
    /// the NSS key log format, for Wireshark and others.
    #[arg(long, value_name = "FILE")]
    pub write_keylog: Option<std::path::PathBuf>,
}

impl KeyArgs {
    /// The key log file to use: `--keylog`, else `SSLKEYLOGFILE`.
    pub fn path(&self) -> Option<std::path::PathBuf> {
        self.keylog.clone().or_else(|| std::env::var_os("SSLKEYLOGFILE").filter(|v| !v.is_empty()).map(Into::into))
    }
}

#[derive(Args, Debug, Clone)]
pub struct OutputArgs {
    /// Emit NDJSON events (one JSON object per line) instead of the text ladder.
    #[arg(long)]
    pub json: bool,
    /// Explore the handshakes interactively in a full-screen terminal interface (the filters
    /// given here are its first filter; `?` in it lists the keys).
    #[arg(long, conflicts_with_all = ["json", "quiet", "verbose"])]
    pub tui: bool,
    /// Text: show decoded fields and the role of every message.
    #[arg(short, long, conflicts_with = "quiet")]
    pub verbose: bool,
    /// Text: one line per handshake.
    #[arg(short, long)]
    pub quiet: bool,
    /// Colors in the text view: auto (terminal and NO_COLOR unset), always or never.
    #[arg(long, value_enum, default_value_t = ColorChoice::Auto)]
    pub color: ColorChoice,
    /// Only connections with this address at either end (repeatable).
    #[arg(long = "host", value_name = "IP")]
    pub hosts: Vec<std::net::IpAddr>,
    /// Only connections with this port at either end (repeatable).
    #[arg(long = "port", value_name = "PORT")]
    pub ports: Vec<u16>,
    /// Only connections whose SNI contains this text, or matches this glob (`*.example.com`).
    #[arg(long = "sni", value_name = "PATTERN")]
    pub snis: Vec<String>,
    /// Only handshakes that did not complete or ended with an alert.
    #[arg(long)]
    pub failed: bool,
    /// Only connections whose ClientHello has this JA4 (any of ja4, ja4_r, ja4_o, ja4_ro).
    #[arg(long = "ja4", value_name = "FINGERPRINT")]
    pub ja4: Vec<String>,
    /// Only connections whose ClientHello has this JA3 (string or MD5 hash).
    #[arg(long = "ja3", value_name = "FINGERPRINT")]
    pub ja3: Vec<String>,
    /// Write every certificate seen into DIR as PEM, named by its SHA-256 fingerprint.
    #[arg(long = "certs", value_name = "DIR")]
    pub certs: Option<std::path::PathBuf>,
}

#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum ColorChoice {
    Auto,
    Always,
    Never,
}

#[derive(Args, Debug)]
pub struct CaptureArgs {
    /// Interface to capture on (`any` for all of them); `--list` shows the choices.
    #[arg(required_unless_present = "list")]
    pub interface: Option<String>,
    /// List the interfaces with their addresses, state and link type, then exit.
    #[arg(long, conflicts_with = "interface")]
    pub list: bool,
    /// Output options; `--port` and `--host` also become the kernel capture filter
    /// (`tcp and (port P or ...) and (host H or ...)`), so only matching traffic is copied.
    #[command(flatten)]
    pub output: OutputArgs,
    /// Stop after N packets.
    #[arg(short = 'c', long, value_name = "N")]
    pub count: Option<u64>,
    /// Stop after SECS seconds (fractions allowed).
    #[arg(long, value_name = "SECS", value_parser = parse_duration)]
    pub duration: Option<std::time::Duration>,
    /// Do not put the interface into promiscuous mode.
    #[arg(short = 'p', long = "no-promisc")]
    pub no_promisc: bool,
    /// Also write every captured frame to FILE (pcapng, nanosecond timestamps); with a key
    /// log, its secrets are embedded as Decryption Secrets Blocks.
    #[arg(short = 'w', value_name = "FILE")]
    pub write: Option<std::path::PathBuf>,
    #[command(flatten)]
    pub keys: KeyArgs,
    #[command(flatten)]
    pub limits: LimitArgs,
    #[command(flatten)]
    pub trust: super::trust::TrustArgs,
    /// Bytes kept of each frame (the rest of a cut segment is traced as a gap).
    #[arg(long, value_name = "N", default_value_t = crate::source::live::DEFAULT_SNAPLEN,
          value_parser = clap::value_parser!(u32).range(1..=i64::from(crate::source::live::DEFAULT_SNAPLEN)))]
    pub snaplen: u32,
}

fn parse_duration(text: &str) -> Result<std::time::Duration, String> {
    let secs: f64 = text.parse().map_err(|_| format!("'{text}' is not a number of seconds"))?;
    if !secs.is_finite() || secs <= 0.0 || secs > 1e9 {
        return Err(format!("'{text}' is not a positive number of seconds"));
    }
    Ok(std::time::Duration::from_secs_f64(secs))
}
