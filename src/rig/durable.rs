//! Crash-safe files: the one way the rig writes state it must find again after a power loss.

use std::fs::{self, File};
use std::io::{self, Write};
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};

/// Set by the self-healer when the disk runs low: the writes the rig can do without (baseline,
/// flow-back fingerprint, library snapshot) wait, so incidents, the advisory log and the upload
/// queue keep the room.
static NON_CRITICAL_PAUSED: AtomicBool = AtomicBool::new(false);

/// Whether non-critical writes are paused for lack of disk space.
pub fn non_critical_paused() -> bool {
    NON_CRITICAL_PAUSED.load(Ordering::Relaxed)
}

/// Pause or resume non-critical writes.
pub fn set_non_critical_paused(paused: bool) {
    NON_CRITICAL_PAUSED.store(paused, Ordering::Relaxed);
}

/// Bytes free for this process under `dir` (the filesystem's available blocks).
pub fn free_bytes(dir: &Path) -> io::Result<u64> {
    use std::os::unix::ffi::OsStrExt;
    let path = std::ffi::CString::new(dir.as_os_str().as_bytes())
        .map_err(|_| io::Error::new(io::ErrorKind::InvalidInput, "path holds a NUL"))?;
    // SAFETY: statvfs only writes into the struct it is given; the path is a valid C string.
    let mut stat: libc::statvfs = unsafe { std::mem::zeroed() };
    if unsafe { libc::statvfs(path.as_ptr(), &mut stat) } != 0 {
        return Err(io::Error::last_os_error());
    }
    Ok((stat.f_bavail as u64).saturating_mul(stat.f_frsize as u64))
}

/// Replace `path` with `bytes` so that after a crash at any moment the file holds either the old
/// contents or the new, never a mix: write a temp file beside it, fsync it, rename it over, fsync
/// the directory. The new contents are durable when this returns `Ok`.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> io::Result<()> {
    let dir = path
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    fs::create_dir_all(dir)?;
    let name = path
        .file_name()
        .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "path names no file"))?;
    let tmp = dir.join(format!(".{}.tmp", name.to_string_lossy()));
    {
        let mut file = File::create(&tmp)?;
        file.write_all(bytes)?;
        file.sync_all()?;
    }
    fs::rename(&tmp, path)?;
    // The rename is durable only once the directory entry is.
    File::open(dir)?.sync_all()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replaces_the_whole_file_and_leaves_no_temp() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("state.json");
        write_atomic(&path, b"first, longer contents").expect("write");
        write_atomic(&path, b"second").expect("write");
        assert_eq!(fs::read(&path).expect("read"), b"second");
        let names: Vec<_> = fs::read_dir(dir.path())
            .expect("list")
            .map(|e| e.expect("entry").file_name())
            .collect();
        assert_eq!(names, vec!["state.json"]);
    }
}
