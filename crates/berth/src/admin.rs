//! `berth admin`: accounts, IAM users and access keys, on a data directory or through a running
//! server (the admin API, signed with SigV4). Both print the operation's JSON output.

use std::path::PathBuf;

use anyhow::{bail, Context};
use berth_api::admin::{execute, AdminCaller, SIGNING_SERVICE, TARGET_PREFIX};
use berth_iam::Iam;
use clap::{Args, Subcommand};
use serde_json::{json, Map, Value};

use crate::config::Seconds;

#[derive(Args, Debug)]
pub struct AdminArgs {
    /// Work on this data directory (the server may be running on it).
    #[arg(
        long,
        env = "BERTH_DATA_DIR",
        value_name = "DIR",
        conflicts_with = "endpoint",
        global = true
    )]
    pub data_dir: Option<PathBuf>,
    /// The metadata database, as `berth serve --database-url` has it (a cluster's PostgreSQL);
    /// with a shared database the master key comes from BERTH_MASTER_KEY or --master-key-file.
    #[arg(
        long,
        env = "BERTH_DATABASE_URL",
        value_name = "URL",
        conflicts_with = "endpoint",
        global = true
    )]
    pub database_url: Option<String>,
    /// The master key file, as `berth serve --master-key-file` has it.
    #[arg(
        long,
        env = "BERTH_MASTER_KEY_FILE",
        value_name = "PATH",
        conflicts_with = "endpoint",
        global = true
    )]
    pub master_key_file: Option<PathBuf>,
    /// Work through the server at this URL, signing with the access key in
    /// AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY (an account's root).
    #[arg(long, value_name = "URL", global = true)]
    pub endpoint: Option<String>,
    /// PEM certificate(s) to trust for an https endpoint (a self-signed server).
    #[arg(long, value_name = "FILE", requires = "endpoint", global = true)]
    pub ca_cert: Option<PathBuf>,
    /// The region to sign for.
    #[arg(long, env = "AWS_REGION", default_value = "us-east-1", global = true)]
    pub region: String,
    /// The account to act on (default: the caller's; on a data directory, the installation's
    /// account, BERTH_ACCOUNT_ID or 000000000000).
    #[arg(long, value_name = "ID", global = true)]
    pub account_id: Option<String>,
    #[command(subcommand)]
    pub command: AdminCommand,
}

#[derive(Subcommand, Debug)]
pub enum AdminCommand {
    /// Create an account with its root principal and a first root access key.
    CreateAccount {
        /// 12 digits; random when absent.
        #[arg(long)]
        new_account_id: Option<String>,
    },
    /// List every account.
    ListAccounts,
    /// Create an IAM user.
    CreateUser {
        #[arg(long)]
        user_name: String,
    },
    /// List the account's IAM users.
    ListUsers,
    /// Delete an IAM user (its access keys must be deleted first).
    DeleteUser {
        #[arg(long)]
        user_name: String,
    },
    /// Create an access key for a user, or for the account's root without --user-name (two at most).
    CreateAccessKey {
        #[arg(long)]
        user_name: Option<String>,
    },
    /// List the access keys of a user, or of the root.
    ListAccessKeys {
        #[arg(long)]
        user_name: Option<String>,
    },
    /// Set an access key Active or Inactive.
    UpdateAccessKey {
        #[arg(long)]
        access_key_id: String,
        #[arg(long, value_parser = ["Active", "Inactive"])]
        status: String,
    },
    /// Delete an access key.
    DeleteAccessKey {
        #[arg(long)]
        access_key_id: String,
    },
    /// Create or replace an inline policy of a user (`--policy-document` takes JSON, or
    /// `file://PATH` as the aws CLI does).
    PutUserPolicy {
        #[arg(long)]
        user_name: String,
        #[arg(long)]
        policy_name: String,
        #[arg(long)]
        policy_document: String,
    },
    /// Delete an inline policy of a user.
    DeleteUserPolicy {
        #[arg(long)]
        user_name: String,
        #[arg(long)]
        policy_name: String,
    },
    /// Attach a managed policy to a user (e.g. arn:aws:iam::aws:policy/AmazonEC2ContainerRegistryReadOnly).
    AttachUserPolicy {
        #[arg(long)]
        user_name: String,
        #[arg(long)]
        policy_arn: String,
    },
    /// Detach a managed policy from a user.
    DetachUserPolicy {
        #[arg(long)]
        user_name: String,
        #[arg(long)]
        policy_arn: String,
    },
    /// Lifecycle policies: run them now, or list what they expired.
    #[command(subcommand)]
    Lifecycle(LifecycleCommand),
    /// Vulnerability data for scanning: import files, or show what is loaded and how old it is.
    #[command(subcommand)]
    Vulndb(VulndbCommand),
    /// An image's SBOM or last scan report, printed, and attached to the image as an OCI
    /// referrer with --attach (`oras discover` lists it).
    #[command(subcommand)]
    Scan(ScanCommand),
    /// Run a garbage collection pass now and print what it examined, deleted and kept. On a data
    /// directory it refuses while a server serves it: run it through the server (--endpoint).
    Gc {
        /// Report what a pass would delete, deleting nothing.
        #[arg(long)]
        dry_run: bool,
        /// How long something must stay unreferenced before it goes (90, 15m, 24h) [default:
        /// the server's --gc-grace; 86400 on a data directory].
        #[arg(long, value_name = "DURATION")]
        grace: Option<Seconds>,
        /// How long an upload may go untouched [default: the server's --upload-ttl; 86400].
        #[arg(long, value_name = "DURATION")]
        upload_ttl: Option<Seconds>,
    },
    /// Storage used per repository, per account and in all, bytes pulled this month, and an
    /// estimated monthly cost. The installation's root sees every account (and the store).
    Usage {
        /// Print JSON instead of a table.
        #[arg(long)]
        json: bool,
        /// USD per GiB-month of storage [default: ECR's 0.10].
        #[arg(long, value_name = "USD")]
        storage_price: Option<f64>,
        /// USD per GiB served [default: ECR's transfer-out price, 0.09].
        #[arg(long, value_name = "USD")]
        transfer_price: Option<f64>,
    },
    /// Copy this single-node installation (--data-dir, its SQLite database and blobs) into
    /// cluster mode: a new PostgreSQL database and an S3 bucket. Every blob is verified by digest.
    /// The server must be stopped meanwhile; upload sessions in progress are not copied.
    Migrate {
        /// The target database, postgres://… (new and empty).
        #[arg(long, value_name = "URL")]
        to_database_url: String,
        /// The target blob store, s3://BUCKET[/PREFIX] (or file://PATH).
        #[arg(long, value_name = "URL")]
        to_storage_url: String,
        /// The S3 endpoint of an S3-compatible server.
        #[arg(long, value_name = "URL")]
        s3_endpoint: Option<String>,
        /// The bucket's region [default: AWS_REGION, else us-east-1].
        #[arg(long, value_name = "REGION")]
        s3_region: Option<String>,
        /// Path-style S3 requests [default: true with --s3-endpoint].
        #[arg(long, value_name = "BOOL")]
        s3_path_style: Option<bool>,
    },
    /// Check consistency: tags, manifests' blobs (rows, links, bytes with their sizes and
    /// digests), unreferenced data past the grace period. Exits 1 when problems remain.
    Fsck {
        /// Fix references where that is safe (dangling tags, missing links).
        #[arg(long)]
        repair: bool,
        /// Check blob sizes only, without hashing every blob.
        #[arg(long)]
        sizes_only: bool,
        /// How long unreferenced data must wait before it is reported [default: as gc].
        #[arg(long, value_name = "DURATION")]
        grace: Option<Seconds>,
    },
}

#[derive(Subcommand, Debug)]
pub enum LifecycleCommand {
    /// Run the lifecycle policy of REPO now (of every repository of the account without REPO),
    /// expiring what it selects; prints what was expired.
    Run {
        /// The repository; every repository with a policy when absent.
        repository: Option<String>,
    },
    /// List the images lifecycle policies expired (newest first): which rule, who ran it, when.
    Events {
        /// Only this repository's.
        repository: Option<String>,
        #[arg(long, default_value_t = 1000)]
        max_results: u32,
    },
}

#[derive(Subcommand, Debug)]
pub enum VulndbCommand {
    /// Import vulnerability data: OSV records (JSON or YAML; files, directories, or the
    /// per-ecosystem all.zip of osv-scanner's offline mode), Alpine secdb JSON, Debian OVAL XML
    /// (optionally .bz2). Each file is one import; a newer record replaces an older one.
    Import {
        /// Files or directories (walked for files).
        #[arg(required = true)]
        paths: Vec<PathBuf>,
    },
    /// What is loaded: every import (kind, file, records, sha256, when) and the data's age.
    Status,
}

#[derive(Subcommand, Debug)]
pub enum ScanCommand {
    /// The packages of IMAGE (REPO, REPO:TAG or REPO@DIGEST; an index: of every image it
    /// lists) as a CycloneDX 1.5 or SPDX 2.3 JSON document.
    Sbom {
        image: String,
        #[arg(long, value_parser = ["cyclonedx", "spdx"], default_value = "cyclonedx")]
        format: String,
        /// Also push the document as a referrer of the image.
        #[arg(long)]
        attach: bool,
    },
    /// The last scan of IMAGE: its status, the data it used and every finding, as JSON.
    Report {
        image: String,
        /// Also push the report as a referrer of the image.
        #[arg(long)]
        attach: bool,
    },
}

/// `REPO`, `REPO:TAG` or `REPO@DIGEST` as (repository, reference).
fn image_reference(image: &str) -> (String, String) {
    if let Some((repo, digest)) = image.split_once('@') {
        return (repo.to_string(), digest.to_string());
    }
    match image.rsplit_once(':') {
        Some((repo, tag)) if !tag.contains('/') => (repo.to_string(), tag.to_string()),
        _ => (image.to_string(), "latest".to_string()),
    }
}

/// The files under `paths` (directories walked, in name order).
fn data_files(paths: &[PathBuf]) -> anyhow::Result<Vec<PathBuf>> {
    let mut out = Vec::new();
    for p in paths {
        if p.is_dir() {
            let mut entries: Vec<PathBuf> = std::fs::read_dir(p)
                .with_context(|| format!("reading {}", p.display()))?
                .map(|e| e.map(|e| e.path()))
                .collect::<Result<_, _>>()?;
            entries.sort();
            out.extend(data_files(&entries)?);
        } else if p.is_file() {
            out.push(p.clone());
        } else {
            bail!("{}: no such file or directory", p.display());
        }
    }
    Ok(out)
}

/// `vulndb import`: one ImportVulnerabilityData per file.
async fn import_files(args: &AdminArgs, paths: &[PathBuf]) -> anyhow::Result<Value> {
    use base64::Engine;
    let mut imports = Vec::new();
    for file in data_files(paths)? {
        let bytes = std::fs::read(&file).with_context(|| format!("reading {}", file.display()))?;
        let body = serde_json::to_vec(&json!({
            "Name": file.display().to_string(),
            "Data": base64::engine::general_purpose::STANDARD.encode(&bytes),
        }))?;
        let out = match &args.endpoint {
            Some(url) => remote(args, url, "ImportVulnerabilityData", body).await,
            None => local(args, "ImportVulnerabilityData", &body).await,
        }
        .with_context(|| format!("importing {}", file.display()))?;
        imports.push(out);
    }
    Ok(json!({ "Imports": imports }))
}

impl AdminCommand {
    /// The operation's name and its JSON input.
    fn request(&self) -> (&'static str, Map<String, Value>) {
        let mut m = Map::new();
        let mut put = |k: &str, v: &Option<String>| {
            if let Some(v) = v {
                m.insert(k.to_string(), json!(v));
            }
        };
        let op = match self {
            AdminCommand::CreateAccount { new_account_id } => {
                put("NewAccountId", new_account_id);
                "CreateAccount"
            }
            AdminCommand::ListAccounts => "ListAccounts",
            AdminCommand::CreateUser { user_name } => {
                put("UserName", &Some(user_name.clone()));
                "CreateUser"
            }
            AdminCommand::ListUsers => "ListUsers",
            AdminCommand::DeleteUser { user_name } => {
                put("UserName", &Some(user_name.clone()));
                "DeleteUser"
            }
            AdminCommand::CreateAccessKey { user_name } => {
                put("UserName", user_name);
                "CreateAccessKey"
            }
            AdminCommand::ListAccessKeys { user_name } => {
                put("UserName", user_name);
                "ListAccessKeys"
            }
            AdminCommand::UpdateAccessKey {
                access_key_id,
                status,
            } => {
                put("AccessKeyId", &Some(access_key_id.clone()));
                put("Status", &Some(status.clone()));
                "UpdateAccessKey"
            }
            AdminCommand::DeleteAccessKey { access_key_id } => {
                put("AccessKeyId", &Some(access_key_id.clone()));
                "DeleteAccessKey"
            }
            AdminCommand::PutUserPolicy {
                user_name,
                policy_name,
                policy_document,
            } => {
                put("UserName", &Some(user_name.clone()));
                put("PolicyName", &Some(policy_name.clone()));
                put("PolicyDocument", &Some(policy_document.clone()));
                "PutUserPolicy"
            }
            AdminCommand::DeleteUserPolicy {
                user_name,
                policy_name,
            } => {
                put("UserName", &Some(user_name.clone()));
                put("PolicyName", &Some(policy_name.clone()));
                "DeleteUserPolicy"
            }
            AdminCommand::AttachUserPolicy {
                user_name,
                policy_arn,
            } => {
                put("UserName", &Some(user_name.clone()));
                put("PolicyArn", &Some(policy_arn.clone()));
                "AttachUserPolicy"
            }
            AdminCommand::DetachUserPolicy {
                user_name,
                policy_arn,
            } => {
                put("UserName", &Some(user_name.clone()));
                put("PolicyArn", &Some(policy_arn.clone()));
                "DetachUserPolicy"
            }
            AdminCommand::Gc {
                dry_run,
                grace,
                upload_ttl,
            } => {
                m.insert("DryRun".into(), json!(dry_run));
                if let Some(g) = grace {
                    m.insert("GraceSeconds".into(), json!(g.as_secs()));
                }
                if let Some(t) = upload_ttl {
                    m.insert("UploadTtlSeconds".into(), json!(t.as_secs()));
                }
                "RunGc"
            }
            // run locally by `run`, never sent as a request
            AdminCommand::Migrate { .. } => "Migrate",
            AdminCommand::Fsck {
                repair,
                sizes_only,
                grace,
            } => {
                m.insert("Repair".into(), json!(repair));
                m.insert("SizesOnly".into(), json!(sizes_only));
                if let Some(g) = grace {
                    m.insert("GraceSeconds".into(), json!(g.as_secs()));
                }
                "Fsck"
            }
            AdminCommand::Usage {
                json: as_json,
                storage_price,
                transfer_price,
            } => {
                m.insert("Table".into(), json!(!as_json));
                if let Some(p) = storage_price {
                    m.insert("StoragePrice".into(), json!(p));
                }
                if let Some(p) = transfer_price {
                    m.insert("TransferPrice".into(), json!(p));
                }
                "Usage"
            }
            AdminCommand::Lifecycle(LifecycleCommand::Run { repository }) => {
                put("RepositoryName", repository);
                "RunLifecycle"
            }
            AdminCommand::Scan(ScanCommand::Sbom {
                image,
                format,
                attach,
            }) => {
                let (repo, reference) = image_reference(image);
                put("RepositoryName", &Some(repo));
                put("ImageReference", &Some(reference));
                put("Format", &Some(format.clone()));
                m.insert("Attach".into(), json!(attach));
                "ExportSbom"
            }
            AdminCommand::Scan(ScanCommand::Report { image, attach }) => {
                let (repo, reference) = image_reference(image);
                put("RepositoryName", &Some(repo));
                put("ImageReference", &Some(reference));
                m.insert("Attach".into(), json!(attach));
                "ExportScanReport"
            }
            // sent file by file by `import_files`
            AdminCommand::Vulndb(VulndbCommand::Import { .. }) => "ImportVulnerabilityData",
            AdminCommand::Vulndb(VulndbCommand::Status) => "DescribeVulnerabilityData",
            AdminCommand::Lifecycle(LifecycleCommand::Events {
                repository,
                max_results,
            }) => {
                put("RepositoryName", repository);
                m.insert("MaxResults".into(), json!(max_results));
                "ListLifecycleEvents"
            }
        };
        (op, m)
    }
}

/// Run the command; the output (JSON) is returned for printing.
pub async fn run(args: AdminArgs) -> anyhow::Result<Value> {
    if let AdminCommand::Migrate {
        to_database_url,
        to_storage_url,
        s3_endpoint,
        s3_region,
        s3_path_style,
    } = &args.command
    {
        if args.endpoint.is_some() {
            anyhow::bail!("migrate works on a data directory (--data-dir), not through a server");
        }
        let dir = args
            .data_dir
            .clone()
            .unwrap_or_else(|| PathBuf::from("./berth-data"));
        let storage = crate::config::storage(
            Some(to_storage_url.clone()),
            s3_endpoint.clone(),
            s3_region.clone(),
            *s3_path_style,
        )?;
        return crate::migrate::run(
            &dir,
            crate::migrate::Target {
                database_url: to_database_url,
                storage,
            },
        )
        .await;
    }
    if let AdminCommand::Vulndb(VulndbCommand::Import { paths }) = &args.command {
        return import_files(&args, paths).await;
    }
    let (op, mut input) = args.command.request();
    // `file://PATH` documents, as the aws CLI reads them
    if let Some(Value::String(doc)) = input.get("PolicyDocument") {
        if let Some(path) = doc.strip_prefix("file://") {
            let text = std::fs::read_to_string(path)
                .map_err(|e| anyhow::anyhow!("reading the policy document {path}: {e}"))?;
            input.insert("PolicyDocument".into(), json!(text));
        }
    }
    if let Some(a) = &args.account_id {
        input.insert("AccountId".into(), json!(a));
    }
    let body = serde_json::to_vec(&Value::Object(input))?;
    let out = match &args.endpoint {
        Some(url) => remote(&args, url, op, body).await,
        None => local(&args, op, &body).await,
    }?;
    if let AdminCommand::Scan(_) = &args.command {
        // the document itself is printed; where it was attached goes to stderr
        if let Some(referrer) = out.get("ReferrerDigest").and_then(Value::as_str) {
            eprintln!(
                "attached to {} as {referrer} ({})",
                out["ImageDigest"].as_str().unwrap_or_default(),
                out["MediaType"].as_str().unwrap_or_default()
            );
        }
        return Ok(out.get("Document").cloned().unwrap_or(Value::Null));
    }
    Ok(out)
}

async fn local(args: &AdminArgs, op: &str, body: &[u8]) -> anyhow::Result<Value> {
    let dir = args
        .data_dir
        .clone()
        .unwrap_or_else(|| PathBuf::from("./berth-data"));
    crate::setup::data_dir(&dir)?;
    let mut config = crate::config::Config::new(([127, 0, 0, 1], 0).into(), dir.clone());
    config.database_url = args.database_url.clone();
    config.master_key_file = args.master_key_file.clone();
    config.validate()?;
    if config.shared_database() && matches!(op, "RunGc" | "Fsck") {
        anyhow::bail!(
            "on a shared database the blobs are in the cluster's store: run this through a node \
             (berth admin --endpoint URL …)"
        );
    }
    // a collection pass needs the data directory to itself (the blob locks of a running server
    // are in its memory); the lock is held until the pass ends
    let _exclusive = if op == "RunGc" {
        Some(crate::setup::lock_data_dir(&dir, true)?.with_context(|| {
            format!(
                "a server is serving {}: run the pass through it (berth admin --endpoint URL gc)",
                dir.display()
            )
        })?)
    } else {
        None
    };
    let master = crate::setup::master_key(&config)?;
    let meta = crate::setup::open_meta(&config).await?;
    let iam = Iam::new(meta.clone(), master);
    let store = berth_storage::FsBlobStore::open(&dir, true)
        .await
        .context("opening the blob store")?;
    let registry = berth_registry::Registry::new(
        meta.clone(),
        std::sync::Arc::new(store),
        berth_registry::RegistryConfig::default(),
    );
    let home = std::env::var("BERTH_ACCOUNT_ID").unwrap_or_else(|_| "000000000000".into());
    let gc = berth_api::admin::GcDefaults {
        grace: std::time::Duration::from_secs(86_400),
        upload_ttl: std::time::Duration::from_secs(86_400),
    };
    let out = execute(
        &iam,
        &registry,
        &gc,
        AdminCaller::Operator {
            home_account: &home,
        },
        op,
        body,
    )
    .await;
    meta.close().await;
    out.map_err(|e| anyhow::anyhow!("{}: {}", e.code, e.message))
}

async fn remote(args: &AdminArgs, url: &str, op: &str, body: Vec<u8>) -> anyhow::Result<Value> {
    let credentials = berth_client::Credentials {
        access_key_id: std::env::var("AWS_ACCESS_KEY_ID")
            .context("AWS_ACCESS_KEY_ID must hold the access key to sign with")?,
        secret_access_key: std::env::var("AWS_SECRET_ACCESS_KEY")
            .context("AWS_SECRET_ACCESS_KEY must hold the secret to sign with")?,
        session_token: std::env::var("AWS_SESSION_TOKEN").ok(),
    };
    let mut options = berth_client::ClientOptions::default();
    if let Some(ca) = &args.ca_cert {
        options.extra_roots_pem =
            Some(std::fs::read(ca).with_context(|| format!("reading {}", ca.display()))?);
    }
    let client = berth_client::Client::new(url, &args.region, credentials, &options)
        .context("--endpoint")?;
    match client
        .call(SIGNING_SERVICE, &format!("{TARGET_PREFIX}{op}"), body)
        .await
    {
        Ok(v) => Ok(v),
        Err(berth_client::ClientError::Refused { code, message, .. }) => {
            bail!("{code}: {message}")
        }
        Err(e) => Err(anyhow::Error::new(e).context(format!("calling {url}"))),
    }
}
