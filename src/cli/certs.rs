//! `--certs DIR`: the directory made ready before the run, its errors carried into the summary.

use super::warn;
use crate::pipeline::Pipeline;
use std::io;

/// `--certs DIR`, made ready before the run: created when missing, and a directory this process
/// may write into. When it is not, one warning now and the run goes on without certificates;
/// returns that warning for the summary.
pub(super) fn start_certificates(pipeline: &mut Pipeline, dir: Option<&std::path::Path>) -> Option<String> {
    let dir = dir?;
    match prepare_certificate_dir(dir) {
        Ok(()) => {
            pipeline.write_certificates_to(dir.to_path_buf());
            None
        }
        Err(e) => {
            let msg = format!("cannot write certificates to {}: {e}", crate::escape::path(dir));
            warn(&msg);
            Some(msg)
        }
    }
}

fn prepare_certificate_dir(dir: &std::path::Path) -> io::Result<()> {
    use std::os::unix::ffi::OsStrExt;
    if dir.exists() && !dir.is_dir() {
        return Err(io::Error::from_raw_os_error(libc::ENOTDIR));
    }
    std::fs::create_dir_all(dir)?;
    let c_path = std::ffi::CString::new(dir.as_os_str().as_bytes()).map_err(io::Error::other)?;
    // SAFETY: `c_path` is a NUL-terminated string that outlives the call.
    if unsafe { libc::access(c_path.as_ptr(), libc::W_OK | libc::X_OK) } != 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(())
}

/// At the end of the run: a certificate that could not be written during it is reported now,
/// and the summary carries either error. True when certificates were lost (exit 7).
pub(super) fn finish_certificates(summary: &mut crate::conn::events::SummaryEvent, unusable: Option<String>) -> bool {
    if let Some(e) = &summary.certificate_error {
        warn(e);
    }
    if let Some(msg) = unusable {
        summary.certificates_written = Some(0);
        summary.certificate_error = Some(msg);
    }
    summary.certificate_error.is_some()
}
