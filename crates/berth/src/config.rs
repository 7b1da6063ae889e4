//! Configuration: command-line flags, then `BERTH_*` environment variables (clap reads both),
//! then the TOML file named by `--config`, then built-in defaults.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{bail, Context};
use clap::{Args, ValueEnum};
use serde::Deserialize;

pub use crate::duration::Seconds;

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    #[default]
    Text,
    Json,
}

/// Flags of `berth serve`. Every one is optional here so that the file and the defaults can fill
/// what is not given.
#[derive(Debug, Clone, Args, Default)]
pub struct ServeArgs {
    /// TOML configuration file (keys as the long flags, with `_` for `-`).
    #[arg(long, env = "BERTH_CONFIG", value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Address to listen on [default: 127.0.0.1:5000].
    #[arg(long, env = "BERTH_ADDR", value_name = "HOST:PORT")]
    pub addr: Option<SocketAddr>,
    /// Directory for the database and the blob store [default: ./berth-data].
    #[arg(long, env = "BERTH_DATA_DIR", value_name = "DIR")]
    pub data_dir: Option<PathBuf>,
    /// AWS region this registry presents itself as [default: us-east-1].
    #[arg(long, env = "BERTH_REGION")]
    pub region: Option<String>,
    /// Domain of the registry host names in repository URIs and proxy endpoints,
    /// `<account>.dkr.ecr.<region>.<domain>` [default: amazonaws.com].
    #[arg(long, env = "BERTH_DOMAIN")]
    pub domain: Option<String>,
    /// The default registry (account) ID, 12 digits [default: 000000000000].
    #[arg(long, env = "BERTH_ACCOUNT_ID", value_name = "ID")]
    pub account_id: Option<String>,
    /// PEM certificate chain: serve HTTPS (HTTP/1.1 and HTTP/2).
    #[arg(
        long,
        env = "BERTH_TLS_CERT",
        value_name = "FILE",
        requires = "tls_key"
    )]
    pub tls_cert: Option<PathBuf>,
    /// PEM private key for --tls-cert.
    #[arg(
        long,
        env = "BERTH_TLS_KEY",
        value_name = "FILE",
        requires = "tls_cert"
    )]
    pub tls_key: Option<PathBuf>,
    /// Log format [default: text].
    #[arg(long, env = "BERTH_LOG_FORMAT", value_enum)]
    pub log_format: Option<LogFormat>,
    /// Log filter, e.g. `info` or `berth=debug` [default: info].
    #[arg(long, env = "BERTH_LOG", value_name = "FILTER")]
    pub log_level: Option<String>,
    /// Create a repository on the first push to it [default: true]. `false` behaves as ECR.
    #[arg(long, env = "BERTH_CREATE_ON_PUSH", value_name = "BOOL", num_args = 0..=1, default_missing_value = "true")]
    pub create_on_push: Option<bool>,
    /// Flush blob data to disk before a blob becomes visible [default: true].
    #[arg(long, env = "BERTH_FSYNC", value_name = "BOOL", num_args = 0..=1, default_missing_value = "true")]
    pub fsync: Option<bool>,
    /// How long an upload body may send nothing before its chunk is rolled back [default: 120].
    #[arg(long, env = "BERTH_UPLOAD_IDLE_TIMEOUT", value_name = "DURATION")]
    pub upload_idle_timeout: Option<Seconds>,
    /// Time between runs of every repository's lifecycle policy; 0 runs them only on demand
    /// (`berth admin lifecycle run`) [default: 3600].
    #[arg(long, env = "BERTH_LIFECYCLE_INTERVAL", value_name = "DURATION")]
    pub lifecycle_interval: Option<Seconds>,
    /// Time between garbage collection passes; 0 collects only on demand
    /// (`berth admin gc`) [default: 3600].
    #[arg(long, env = "BERTH_GC_INTERVAL", value_name = "DURATION")]
    pub gc_interval: Option<Seconds>,
    /// How long a blob or link must stay unreferenced before the collector deletes it
    /// [default: 86400].
    #[arg(long, env = "BERTH_GC_GRACE", value_name = "DURATION")]
    pub gc_grace: Option<Seconds>,
    /// How long an upload may go untouched before the collector abandons it [default: 86400].
    #[arg(long, env = "BERTH_UPLOAD_TTL", value_name = "DURATION")]
    pub upload_ttl: Option<Seconds>,
    /// How long a tag pulled through a cache is served before its upstream is asked again what
    /// it names [default: 86400].
    #[arg(long, env = "BERTH_PULL_THROUGH_TAG_TTL", value_name = "DURATION")]
    pub pull_through_tag_ttl: Option<Seconds>,
    /// The metadata database: `sqlite://PATH` [default: DATA_DIR/berth.db] or
    /// `postgres://USER:PASSWORD@HOST:PORT/DATABASE`, which several nodes may share.
    #[arg(long, env = "BERTH_DATABASE_URL", value_name = "URL")]
    pub database_url: Option<String>,
    /// Connections each node keeps to PostgreSQL at most [default: 32].
    #[arg(long, env = "BERTH_DATABASE_MAX_CONNECTIONS", value_name = "N")]
    pub database_max_connections: Option<u32>,
    /// A file holding the 32-byte master key that seals secrets and tokens [default:
    /// DATA_DIR/master.key, created at first start]. Every node of a cluster needs the same key;
    /// `BERTH_MASTER_KEY` (64 hex digits) gives it directly.
    #[arg(long, env = "BERTH_MASTER_KEY_FILE", value_name = "PATH")]
    pub master_key_file: Option<PathBuf>,
    /// Where blobs live: `file://PATH` (default: the data directory) or `s3://BUCKET[/PREFIX]`
    /// (credentials from the standard AWS environment variables).
    #[arg(long, env = "BERTH_STORAGE_URL", value_name = "URL")]
    pub storage_url: Option<String>,
    /// The S3 endpoint for an S3-compatible server, e.g. http://127.0.0.1:3900 [default: AWS's].
    #[arg(long, env = "BERTH_S3_ENDPOINT", value_name = "URL")]
    pub s3_endpoint: Option<String>,
    /// The bucket's region [default: AWS_REGION, else us-east-1].
    #[arg(long, env = "BERTH_S3_REGION", value_name = "REGION")]
    pub s3_region: Option<String>,
    /// Path-style S3 requests (most self-hosted servers need them) [default: true with
    /// --s3-endpoint, else false].
    #[arg(long, env = "BERTH_S3_PATH_STYLE", value_name = "BOOL", num_args = 0..=1, default_missing_value = "true")]
    pub s3_path_style: Option<bool>,
    /// Answer blob pulls with a 307 to a presigned S3 URL instead of streaming through the
    /// node [default: false]. Only with an s3:// store.
    #[arg(long, env = "BERTH_BLOB_REDIRECT", value_name = "BOOL", num_args = 0..=1, default_missing_value = "true")]
    pub blob_redirect: Option<bool>,
    /// Another region (a Berth installation) this one may replicate to, `REGION=URL`
    /// (`https://…`, or `http://…` on a private network); repeatable.
    #[arg(
        long = "peer",
        env = "BERTH_PEERS",
        value_name = "REGION=URL",
        value_delimiter = ','
    )]
    pub peers: Vec<String>,
    /// The access keys to sign requests to peers with: an AWS shared-credentials file with a
    /// profile per region name (`[us-west-2]`, `aws_access_key_id`, `aws_secret_access_key`).
    #[arg(long, env = "BERTH_PEER_CREDENTIALS", value_name = "FILE")]
    pub peer_credentials: Option<PathBuf>,
}

/// The file's keys.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileConfig {
    addr: Option<SocketAddr>,
    data_dir: Option<PathBuf>,
    region: Option<String>,
    domain: Option<String>,
    account_id: Option<String>,
    tls_cert: Option<PathBuf>,
    tls_key: Option<PathBuf>,
    log_format: Option<LogFormat>,
    log_level: Option<String>,
    create_on_push: Option<bool>,
    fsync: Option<bool>,
    upload_idle_timeout: Option<Seconds>,
    lifecycle_interval: Option<Seconds>,
    gc_interval: Option<Seconds>,
    gc_grace: Option<Seconds>,
    upload_ttl: Option<Seconds>,
    pull_through_tag_ttl: Option<Seconds>,
    database_url: Option<String>,
    database_max_connections: Option<u32>,
    master_key_file: Option<PathBuf>,
    storage_url: Option<String>,
    s3_endpoint: Option<String>,
    s3_region: Option<String>,
    s3_path_style: Option<bool>,
    blob_redirect: Option<bool>,
    peers: Option<Vec<String>>,
    peer_credentials: Option<PathBuf>,
}

/// The resolved configuration of a server.
#[derive(Debug, Clone)]
pub struct Config {
    pub addr: SocketAddr,
    pub data_dir: PathBuf,
    pub region: String,
    pub domain: String,
    pub account_id: String,
    pub tls: Option<(PathBuf, PathBuf)>,
    pub log_format: LogFormat,
    pub log_level: String,
    pub create_on_push: bool,
    pub fsync: bool,
    pub upload_idle_timeout: Duration,
    /// Between scheduled lifecycle runs; `None` for on demand only.
    pub lifecycle_interval: Option<Duration>,
    /// Between garbage collection passes; `None` for on demand only.
    pub gc_interval: Option<Duration>,
    pub gc_grace: Duration,
    pub upload_ttl: Duration,
    /// How long a cached tag is served before the upstream is asked again.
    pub pull_through_tag_ttl: Duration,
    /// The metadata database URL; `None` is DATA_DIR/berth.db.
    pub database_url: Option<String>,
    pub database_max_connections: u32,
    /// Where the master key comes from; `None` is DATA_DIR/master.key (or `BERTH_MASTER_KEY`).
    pub master_key_file: Option<PathBuf>,
    /// The blob store: the data directory, or an S3 bucket.
    pub storage: Storage,
    /// Blob GETs redirect to presigned URLs (S3 only).
    pub blob_redirect: bool,
    /// The regions this installation may replicate to, and where each is.
    pub peers: Vec<Peer>,
    /// The shared-credentials file with a profile per peer region.
    pub peer_credentials: Option<PathBuf>,
}

/// Another region: its name and the URL of its installation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Peer {
    pub region: String,
    pub url: String,
}

/// Parse `REGION=URL`.
fn peer(spec: &str) -> anyhow::Result<Peer> {
    let Some((region, url)) = spec.split_once('=') else {
        bail!("--peer must be REGION=URL, got {spec:?}");
    };
    let (region, url) = (region.trim(), url.trim().trim_end_matches('/'));
    if !valid_region(region) {
        bail!("--peer {spec:?}: {region:?} does not look like an AWS region");
    }
    if !(url.starts_with("https://") || url.starts_with("http://"))
        || url.contains(char::is_whitespace)
    {
        bail!("--peer {spec:?}: the URL must be https://… or http://…");
    }
    Ok(Peer {
        region: region.to_string(),
        url: url.to_string(),
    })
}

/// ECR's region pattern, `[0-9a-z-]{2,25}`.
fn valid_region(r: &str) -> bool {
    (2..=25).contains(&r.len())
        && r.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
}

/// Where blobs are stored.
#[derive(Debug, Clone)]
pub enum Storage {
    /// `file://PATH`; `None`: the data directory.
    File(Option<PathBuf>),
    S3(berth_storage::S3Config),
}

/// Parse `--storage-url` with the S3 settings.
pub(crate) fn storage(
    url: Option<String>,
    endpoint: Option<String>,
    region: Option<String>,
    path_style: Option<bool>,
) -> anyhow::Result<Storage> {
    let Some(url) = url else {
        return Ok(Storage::File(None));
    };
    if let Some(path) = url.strip_prefix("file://") {
        return Ok(Storage::File(Some(PathBuf::from(path))));
    }
    let Some(rest) = url.strip_prefix("s3://") else {
        bail!("--storage-url must be file://PATH or s3://BUCKET[/PREFIX], got {url:?}");
    };
    let (bucket, prefix) = rest.split_once('/').unwrap_or((rest, ""));
    if bucket.is_empty() {
        bail!("--storage-url s3:// needs a bucket");
    }
    Ok(Storage::S3(berth_storage::S3Config {
        bucket: bucket.to_string(),
        prefix: prefix.trim_matches('/').to_string(),
        path_style: path_style.unwrap_or(endpoint.is_some()),
        endpoint,
        region: region
            .or_else(|| std::env::var("AWS_REGION").ok())
            .unwrap_or_else(|| "us-east-1".into()),
        access_key_id: None,
        secret_access_key: None,
    }))
}

impl Config {
    /// Defaults for a server on `addr` with data in `data_dir` (used by tests and embedders).
    pub fn new(addr: SocketAddr, data_dir: impl Into<PathBuf>) -> Self {
        Config {
            addr,
            data_dir: data_dir.into(),
            region: "us-east-1".into(),
            domain: "amazonaws.com".into(),
            account_id: "000000000000".into(),
            tls: None,
            log_format: LogFormat::Text,
            log_level: "info".into(),
            create_on_push: true,
            fsync: true,
            upload_idle_timeout: Duration::from_secs(120),
            lifecycle_interval: Some(Duration::from_secs(3600)),
            gc_interval: Some(Duration::from_secs(3600)),
            gc_grace: Duration::from_secs(86_400),
            upload_ttl: Duration::from_secs(86_400),
            pull_through_tag_ttl: Duration::from_secs(86_400),
            database_url: None,
            database_max_connections: 32,
            master_key_file: None,
            storage: Storage::File(None),
            blob_redirect: false,
            peers: Vec::new(),
            peer_credentials: None,
        }
    }

    pub fn resolve(args: ServeArgs) -> anyhow::Result<Self> {
        let file = match &args.config {
            Some(path) => read_file(path)?,
            None => FileConfig::default(),
        };
        let defaults = Config::new(([127, 0, 0, 1], 5000).into(), "./berth-data");
        let tls = match (
            args.tls_cert.or(file.tls_cert),
            args.tls_key.or(file.tls_key),
        ) {
            (Some(c), Some(k)) => Some((c, k)),
            (None, None) => None,
            _ => bail!("--tls-cert and --tls-key go together"),
        };
        let config = Config {
            addr: args.addr.or(file.addr).unwrap_or(defaults.addr),
            data_dir: args.data_dir.or(file.data_dir).unwrap_or(defaults.data_dir),
            region: args.region.or(file.region).unwrap_or(defaults.region),
            domain: args.domain.or(file.domain).unwrap_or(defaults.domain),
            account_id: args
                .account_id
                .or(file.account_id)
                .unwrap_or(defaults.account_id),
            tls,
            log_format: args.log_format.or(file.log_format).unwrap_or_default(),
            log_level: args
                .log_level
                .or(file.log_level)
                .unwrap_or(defaults.log_level),
            create_on_push: args
                .create_on_push
                .or(file.create_on_push)
                .unwrap_or(defaults.create_on_push),
            fsync: args.fsync.or(file.fsync).unwrap_or(defaults.fsync),
            upload_idle_timeout: args
                .upload_idle_timeout
                .or(file.upload_idle_timeout)
                .map(secs)
                .unwrap_or(defaults.upload_idle_timeout),
            lifecycle_interval: match args.lifecycle_interval.or(file.lifecycle_interval) {
                Some(Seconds(0)) => None,
                Some(s) => Some(secs(s)),
                None => defaults.lifecycle_interval,
            },
            gc_interval: match args.gc_interval.or(file.gc_interval) {
                Some(Seconds(0)) => None,
                Some(s) => Some(secs(s)),
                None => defaults.gc_interval,
            },
            gc_grace: args
                .gc_grace
                .or(file.gc_grace)
                .map(secs)
                .unwrap_or(defaults.gc_grace),
            upload_ttl: args
                .upload_ttl
                .or(file.upload_ttl)
                .map(secs)
                .unwrap_or(defaults.upload_ttl),
            pull_through_tag_ttl: args
                .pull_through_tag_ttl
                .or(file.pull_through_tag_ttl)
                .map(secs)
                .unwrap_or(defaults.pull_through_tag_ttl),
            database_url: args.database_url.or(file.database_url),
            database_max_connections: args
                .database_max_connections
                .or(file.database_max_connections)
                .unwrap_or(defaults.database_max_connections),
            master_key_file: args.master_key_file.or(file.master_key_file),
            storage: storage(
                args.storage_url.or(file.storage_url),
                args.s3_endpoint.or(file.s3_endpoint),
                args.s3_region.or(file.s3_region),
                args.s3_path_style.or(file.s3_path_style),
            )?,
            blob_redirect: args.blob_redirect.or(file.blob_redirect).unwrap_or(false),
            peers: if args.peers.is_empty() {
                file.peers.unwrap_or_default()
            } else {
                args.peers
            }
            .iter()
            .map(|p| peer(p))
            .collect::<anyhow::Result<_>>()?,
            peer_credentials: args.peer_credentials.or(file.peer_credentials),
        };
        config.validate()?;
        Ok(config)
    }

    /// Whether the metadata lives in a database several nodes may share.
    pub fn shared_database(&self) -> bool {
        self.database_url
            .as_deref()
            .is_some_and(|u| u.starts_with("postgres://") || u.starts_with("postgresql://"))
    }

    pub fn validate(&self) -> anyhow::Result<()> {
        if let Some(url) = &self.database_url {
            if !(self.shared_database() || url.starts_with("sqlite://")) {
                bail!("--database-url must be sqlite://PATH or postgres://…, not {url:?}");
            }
        }
        for (i, p) in self.peers.iter().enumerate() {
            if p.region == self.region {
                bail!(
                    "--peer {}: that is this installation's own region",
                    p.region
                );
            }
            if self.peers[..i].iter().any(|q| q.region == p.region) {
                bail!("--peer {}: given twice", p.region);
            }
        }
        if self.blob_redirect && !matches!(self.storage, Storage::S3(_)) {
            bail!(
                "--blob-redirect needs an s3:// --storage-url (a filesystem store cannot presign)"
            );
        }
        if self.account_id.len() != 12 || !self.account_id.bytes().all(|b| b.is_ascii_digit()) {
            bail!("--account-id must be 12 digits, got {:?}", self.account_id);
        }
        let region_ok = !self.region.is_empty()
            && self.region.len() <= 32
            && self
                .region
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
        if !region_ok {
            bail!(
                "--region must look like an AWS region (e.g. us-east-1), got {:?}",
                self.region
            );
        }
        let domain_ok = !self.domain.is_empty()
            && self.domain.len() <= 200
            && self.domain.split('.').all(|l| {
                !l.is_empty() && l.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
            });
        if !domain_ok {
            bail!(
                "--domain must be a DNS domain (e.g. amazonaws.com), got {:?}",
                self.domain
            );
        }
        Ok(())
    }
}

fn read_file(path: &Path) -> anyhow::Result<FileConfig> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("reading configuration file {}", path.display()))?;
    toml::from_str(&text).with_context(|| format!("parsing configuration file {}", path.display()))
}

/// A duration from the configuration.
fn secs(s: Seconds) -> Duration {
    Duration::from_secs(s.as_secs())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn storage_urls() {
        assert!(matches!(
            storage(None, None, None, None),
            Ok(Storage::File(None))
        ));
        assert!(matches!(
            storage(Some("file:///srv/blobs".into()), None, None, None),
            Ok(Storage::File(Some(p))) if p == Path::new("/srv/blobs")
        ));
        let Ok(Storage::S3(c)) = storage(
            Some("s3://registry/berth/prod/".into()),
            Some("http://127.0.0.1:3900".into()),
            Some("garage".into()),
            None,
        ) else {
            panic!("an s3 URL")
        };
        assert_eq!(
            (
                c.bucket.as_str(),
                c.prefix.as_str(),
                c.region.as_str(),
                c.path_style
            ),
            ("registry", "berth/prod", "garage", true)
        );
        let Ok(Storage::S3(aws)) =
            storage(Some("s3://b".into()), None, Some("eu-west-1".into()), None)
        else {
            panic!("an s3 URL")
        };
        assert!(!aws.path_style && aws.prefix.is_empty() && aws.endpoint.is_none());
        assert!(storage(Some("s3://".into()), None, None, None).is_err());
        assert!(storage(Some("gs://b".into()), None, None, None).is_err());
    }

    #[test]
    fn database_urls() {
        let mut c = Config::new(([127, 0, 0, 1], 0).into(), "/tmp/x");
        assert!(!c.shared_database() && c.validate().is_ok());
        c.database_url = Some("sqlite:///srv/berth.db".into());
        assert!(!c.shared_database() && c.validate().is_ok());
        for url in ["postgres://u:p@db:5432/berth", "postgresql://db/berth"] {
            c.database_url = Some(url.into());
            assert!(c.shared_database() && c.validate().is_ok());
        }
        c.database_url = Some("mysql://db/berth".into());
        assert!(c.validate().is_err());
        // the TOML key
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("berth.toml");
        std::fs::write(
            &file,
            "database_url = \"postgres://db/berth\"\ndatabase_max_connections = 8\n",
        )
        .unwrap();
        let c = Config::resolve(ServeArgs {
            config: Some(file),
            ..Default::default()
        })
        .unwrap();
        assert_eq!(c.database_url.as_deref(), Some("postgres://db/berth"));
        assert_eq!(c.database_max_connections, 8);
    }

    #[test]
    fn flags_beat_file_beats_defaults() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("berth.toml");
        std::fs::write(
            &file,
            "addr = \"127.0.0.1:6000\"\nregion = \"eu-west-1\"\ncreate_on_push = false\n",
        )
        .unwrap();
        let c = Config::resolve(ServeArgs {
            config: Some(file.clone()),
            region: Some("ap-south-1".into()),
            ..Default::default()
        })
        .unwrap();
        assert_eq!(c.addr.port(), 6000);
        assert_eq!(c.region, "ap-south-1");
        assert!(!c.create_on_push);
        assert_eq!(c.account_id, "000000000000");
        assert_eq!(c.data_dir, PathBuf::from("./berth-data"));

        std::fs::write(&file, "no_such_key = 1\n").unwrap();
        assert!(Config::resolve(ServeArgs {
            config: Some(file),
            ..Default::default()
        })
        .is_err());
        assert!(Config::resolve(ServeArgs {
            account_id: Some("12345".into()),
            ..Default::default()
        })
        .is_err());
    }
}
