//! `--trust`, `--ca-file`, `--ca-dir`: the anchors chains are judged against (shared by
//! `read` and `capture`).

use super::{exit, warn};
use clap::Args;

#[derive(Args, Debug, Clone)]
pub struct TrustArgs {
    /// The base set of trust anchors chains are judged against: the Mozilla roots compiled
    /// in, the machine's store (SSL_CERT_FILE, SSL_CERT_DIR honoured), or none.
    #[arg(long = "trust", value_enum, default_value_t = TrustBase::Mozilla)]
    pub base: TrustBase,
    /// PEM certificates to trust as anchors as well (a private PKI; repeatable).
    #[arg(long = "ca-file", value_name = "FILE")]
    pub ca_files: Vec<std::path::PathBuf>,
    /// A folder of PEM certificates to trust as anchors as well (repeatable).
    #[arg(long = "ca-dir", value_name = "DIR")]
    pub ca_dirs: Vec<std::path::PathBuf>,
}

#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum TrustBase {
    Mozilla,
    System,
    None,
}

/// The anchors `--trust`, `--ca-file` and `--ca-dir` ask for; None for the default (the
/// compiled-in Mozilla set, shared). A bad anchor file is said in one line: exit 3.
pub(super) fn trust_store(args: &TrustArgs) -> Result<Option<std::sync::Arc<crate::certs::TrustStore>>, i32> {
    use crate::certs::{BaseRoots, TrustStore};
    if args.base == TrustBase::Mozilla && args.ca_files.is_empty() && args.ca_dirs.is_empty() {
        return Ok(None);
    }
    let base = match args.base {
        TrustBase::Mozilla => BaseRoots::Mozilla,
        TrustBase::System => BaseRoots::System,
        TrustBase::None => BaseRoots::None,
    };
    match TrustStore::load(base, &args.ca_files, &args.ca_dirs) {
        Ok(store) => {
            let store = std::sync::Arc::new(store);
            // The explorer's second trace of a connection makes its own pipeline: same anchors.
            crate::certs::trust::set_process_default(std::sync::Arc::clone(&store));
            Ok(Some(store))
        }
        Err(e) => {
            warn(&format!("trust anchors: {e}"));
            Err(exit::INPUT)
        }
    }
}
