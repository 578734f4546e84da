//! Writing a file so that it is either whole or absent: into a temporary file beside it, then
//! renamed over it. A temporary file that is dropped before [`AtomicFile::commit`] is removed,
//! so no error path leaves a half-written file behind.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use crate::error::{Error, Result};

/// A file being written; becomes `path` on [`AtomicFile::commit`].
#[derive(Debug)]
pub struct AtomicFile {
    path: PathBuf,
    temp: PathBuf,
    file: Option<File>,
}

/// A random 64-bit hex suffix; falls back to the process id and time if the OS has no entropy.
fn suffix() -> String {
    let mut bytes = [0u8; 8];
    if getrandom::getrandom(&mut bytes).is_err() {
        let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.subsec_nanos());
        bytes[..4].copy_from_slice(&std::process::id().to_le_bytes());
        bytes[4..].copy_from_slice(&nanos.to_le_bytes());
    }
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

impl AtomicFile {
    /// Creates the temporary file in `path`'s directory. On Unix its mode is `mode` (or that of
    /// the file it will replace, if `mode` is `None` and that file exists).
    ///
    /// # Errors
    /// [`Error::Output`] when the directory is missing or not writable.
    pub fn create(path: &Path, mode: Option<u32>) -> Result<Self> {
        let name = path
            .file_name()
            .ok_or_else(|| Error::Output(format!("{}: not a file name", path.display())))?
            .to_string_lossy();
        let dir = path.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
        let temp = dir.join(format!(".{name}.{}.tmp", suffix()));
        let mut options = OpenOptions::new();
        options.write(true).create_new(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
            let existing = fs::metadata(path).ok().map(|m| m.permissions().mode() & 0o7777);
            if let Some(mode) = mode.or(existing) {
                options.mode(mode);
            }
        }
        #[cfg(not(unix))]
        let _ = mode;
        let file = options.open(&temp).map_err(|e| Error::Output(format!("cannot write in {}: {e}", dir.display())))?;
        Ok(Self { path: path.to_owned(), temp, file: Some(file) })
    }

    /// The path the file will have once committed.
    #[must_use]
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Flushes to disk and renames over the target.
    ///
    /// # Errors
    /// [`Error::Output`]; the temporary file is removed.
    pub fn commit(mut self) -> Result<()> {
        let fail = |e: io::Error| Error::Output(format!("cannot write {}: {e}", self.path.display()));
        if let Some(file) = self.file.take() {
            file.sync_all().map_err(fail)?;
        }
        fs::rename(&self.temp, &self.path).map_err(fail)?;
        // Best effort: make the rename itself durable.
        if let Some(dir) = self.path.parent().filter(|p| !p.as_os_str().is_empty()) {
            let _ = File::open(dir).and_then(|d| d.sync_all());
        }
        self.temp = PathBuf::new();
        Ok(())
    }
}

impl Write for AtomicFile {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.file.as_mut().ok_or_else(|| io::Error::other("file already committed"))?.write(buf)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.file.as_mut().map_or(Ok(()), Write::flush)
    }
}

impl Drop for AtomicFile {
    fn drop(&mut self) {
        self.file = None;
        if !self.temp.as_os_str().is_empty() {
            let _ = fs::remove_file(&self.temp);
        }
    }
}

/// Writes `bytes` to `path` atomically.
///
/// # Errors
/// [`Error::Output`].
pub fn write(path: &Path, bytes: &[u8], mode: Option<u32>) -> Result<()> {
    let mut file = AtomicFile::create(path, mode)?;
    file.write_all(bytes).map_err(|e| Error::Output(format!("cannot write {}: {e}", path.display())))?;
    file.commit()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn temp_dir(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("kelisim-cli-{name}-{}", suffix()));
        fs::create_dir_all(&dir).unwrap();
        dir
    }

    fn entries(dir: &Path) -> Vec<String> {
        let mut names: Vec<_> =
            fs::read_dir(dir).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect();
        names.sort();
        names
    }

    #[test]
    fn committed_files_replace_and_dropped_ones_vanish() {
        let dir = temp_dir("atomic");
        let path = dir.join("out.txt");
        fs::write(&path, "old").unwrap();
        let mut f = AtomicFile::create(&path, None).unwrap();
        f.write_all(b"half").unwrap();
        drop(f);
        assert_eq!(fs::read_to_string(&path).unwrap(), "old");
        assert_eq!(entries(&dir), ["out.txt"]);

        write(&path, b"new", None).unwrap();
        assert_eq!(fs::read_to_string(&path).unwrap(), "new");
        assert_eq!(entries(&dir), ["out.txt"]);
        fs::remove_dir_all(dir).unwrap();
    }

    #[cfg(unix)]
    #[test]
    fn modes_are_kept_or_set() {
        use std::os::unix::fs::PermissionsExt;
        let dir = temp_dir("mode");
        let path = dir.join(".dev.vars");
        write(&path, b"a", Some(0o600)).unwrap();
        assert_eq!(fs::metadata(&path).unwrap().permissions().mode() & 0o777, 0o600);
        fs::set_permissions(&path, fs::Permissions::from_mode(0o640)).unwrap();
        write(&path, b"b", None).unwrap();
        assert_eq!(fs::metadata(&path).unwrap().permissions().mode() & 0o777, 0o640);
        fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn a_missing_directory_is_an_error() {
        let e = AtomicFile::create(Path::new("/nonexistent-kelisim-dir/x"), None).unwrap_err();
        assert!(matches!(e, Error::Output(_)));
    }
}
