//! First-start work on the data directory: its layout, the master key, root credentials.

use std::io::Write;
use std::path::Path;

use anyhow::{bail, Context};
use berth_iam::{Iam, MasterKey, NewRootCredentials};
use berth_meta::MetaStore;

use crate::config::Config;

/// Create `dir` (mode 0700 on Unix) if needed.
pub(crate) fn data_dir(dir: &Path) -> anyhow::Result<()> {
    std::fs::create_dir_all(dir)
        .with_context(|| format!("creating data directory {}", dir.display()))?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700))
            .with_context(|| format!("restricting {}", dir.display()))?;
    }
    Ok(())
}

/// Write `contents` to a new file readable by the owner only.
fn write_private(path: &Path, contents: &[u8]) -> anyhow::Result<()> {
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(0o600);
    }
    let mut f = opts
        .open(path)
        .with_context(|| format!("creating {}", path.display()))?;
    f.write_all(contents)?;
    f.sync_all()?;
    Ok(())
}

/// The master key that seals secrets: `DATA_DIR/master.key`, made at first start.
/// The metadata store the configuration names.
pub(crate) async fn open_meta(config: &Config) -> anyhow::Result<MetaStore> {
    match &config.database_url {
        Some(url) => MetaStore::open_url(url, config.database_max_connections)
            .await
            .with_context(|| format!("opening the metadata database {}", redact(url))),
        None => MetaStore::open_sqlite(&config.data_dir.join("berth.db"))
            .await
            .context("opening the metadata database"),
    }
}

/// The blob store the configuration names.
pub(crate) async fn open_store(
    storage: &crate::config::Storage,
    data_dir: &Path,
    fsync: bool,
) -> anyhow::Result<std::sync::Arc<dyn berth_storage::BlobStore>> {
    Ok(match storage {
        crate::config::Storage::File(dir) => std::sync::Arc::new(
            berth_storage::FsBlobStore::open(dir.as_deref().unwrap_or(data_dir), fsync)
                .await
                .context("opening the blob store")?,
        ),
        crate::config::Storage::S3(c) => std::sync::Arc::new(
            berth_storage::S3BlobStore::open(c).context("configuring the S3 blob store")?,
        ),
    })
}

/// A database URL without its password, for messages.
pub(crate) fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme), Some(at)) if at > scheme => {
            let creds = &url[scheme + 3..at];
            match creds.split_once(':') {
                Some((user, _)) => format!("{}{user}:***{}", &url[..scheme + 3], &url[at..]),
                None => url.to_string(),
            }
        }
        _ => url.to_string(),
    }
}

/// The master key: `BERTH_MASTER_KEY` (64 hex digits), else `--master-key-file`, else
/// DATA_DIR/master.key (created at first start). On a shared database the key must be given:
/// every node needs the same one, and a key made up by the first node would seal the root
/// credentials so that no other node could read them.
pub(crate) fn master_key(config: &Config) -> anyhow::Result<MasterKey> {
    if let Ok(hex_key) = std::env::var("BERTH_MASTER_KEY") {
        let bytes = hex::decode(hex_key.trim()).context("BERTH_MASTER_KEY is not hex")?;
        return MasterKey::from_bytes(&bytes).context("BERTH_MASTER_KEY is not a 32-byte key");
    }
    if let Some(path) = &config.master_key_file {
        let bytes = std::fs::read(path).with_context(|| format!("reading {}", path.display()))?;
        return MasterKey::from_bytes(&bytes)
            .with_context(|| format!("{} is not a 32-byte key", path.display()));
    }
    if config.shared_database() {
        bail!(
            "a shared (PostgreSQL) database needs the same master key on every node: set \
             BERTH_MASTER_KEY (64 hex digits) or --master-key-file (generate one with \
             `head -c 32 /dev/urandom > master.key`)"
        );
    }
    let path = config.data_dir.join("master.key");
    match std::fs::read(&path) {
        Ok(bytes) => MasterKey::from_bytes(&bytes).context("master.key is not a 32-byte key"),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            let key = MasterKey::generate();
            write_private(&path, key.as_bytes())?;
            Ok(key)
        }
        Err(e) => Err(e).with_context(|| format!("reading {}", path.display())),
    }
}

/// Create the root principal of `account` at first start: from `BERTH_ROOT_ACCESS_KEY_ID` /
/// `BERTH_ROOT_SECRET_ACCESS_KEY` when both are set, otherwise generated, printed once and
/// written to `DATA_DIR/root-credentials` (an AWS shared-credentials file, mode 0600).
pub(crate) async fn root_credentials(iam: &Iam, dir: &Path, account: &str) -> anyhow::Result<()> {
    let from_env = match (
        std::env::var("BERTH_ROOT_ACCESS_KEY_ID"),
        std::env::var("BERTH_ROOT_SECRET_ACCESS_KEY"),
    ) {
        (Ok(id), Ok(secret)) if !id.is_empty() => Some((id, secret)),
        _ => None,
    };
    let Some(creds) = iam.bootstrap_root(account, from_env).await? else {
        return Ok(());
    };
    let NewRootCredentials {
        access_key_id,
        secret_access_key,
        generated,
    } = creds;
    if !generated {
        tracing::info!(%access_key_id, "root credentials taken from the environment");
        return Ok(());
    }
    let path = dir.join("root-credentials");
    let text = format!(
        "[default]\naws_access_key_id = {access_key_id}\naws_secret_access_key = {secret_access_key}\n"
    );
    write_private(&path, text.as_bytes())?;
    // Shown once, on standard output, never through the log.
    println!(
        "Berth root credentials for account {account} (also written to {}):\n  access key ID:     {access_key_id}\n  secret access key: {secret_access_key}",
        path.display()
    );
    tracing::info!(%access_key_id, path = %path.display(), "generated root credentials");
    Ok(())
}

/// `DATA_DIR/serve.lock`: every server holds it shared while it runs; work that must not run
/// beside a server (a garbage collection pass on the data directory, whose blob locks live in the
/// server's memory) holds it exclusively.
pub(crate) fn lock_data_dir(dir: &Path, exclusive: bool) -> anyhow::Result<Option<std::fs::File>> {
    let f = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(dir.join("serve.lock"))
        .with_context(|| format!("opening {}", dir.join("serve.lock").display()))?;
    #[cfg(unix)]
    {
        use std::os::fd::AsRawFd;
        let op = if exclusive {
            libc::LOCK_EX
        } else {
            libc::LOCK_SH
        } | libc::LOCK_NB;
        // SAFETY: flock on a descriptor this function owns; the lock goes with the file.
        if unsafe { libc::flock(f.as_raw_fd(), op) } != 0 {
            return Ok(None);
        }
    }
    Ok(Some(f))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_stay_out_of_messages() {
        assert_eq!(
            redact("postgres://berth:s3cret@db:5432/berth"),
            "postgres://berth:***@db:5432/berth"
        );
        assert_eq!(
            redact("postgres://berth@db/berth"),
            "postgres://berth@db/berth"
        );
        assert_eq!(redact("sqlite:///srv/b.db"), "sqlite:///srv/b.db");
    }

    #[test]
    fn a_shared_database_needs_a_given_master_key() {
        let dir = tempfile::tempdir().unwrap();
        let mut c = Config::new(([127, 0, 0, 1], 0).into(), dir.path());
        c.database_url = Some("postgres://db/berth".into());
        let e = master_key(&c)
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(e.contains("same master key on every node"), "{e}");
        let file = dir.path().join("k");
        std::fs::write(&file, [7u8; 32]).unwrap();
        c.master_key_file = Some(file);
        assert!(master_key(&c).is_ok());
    }
}
