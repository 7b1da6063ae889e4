//! `berth`: the command line.

use clap::{Parser, Subcommand};

use berth::config::{LogFormat, ServeArgs};
use berth::Config;

#[derive(Parser)]
#[command(
    name = "berth",
    version,
    about = "A self-hosted container registry that speaks the AWS ECR and OCI Distribution APIs"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the registry.
    Serve(Box<ServeArgs>),
    /// Manage accounts, IAM users and access keys (on a data directory or through a server).
    Admin(Box<berth::admin::AdminArgs>),
}

fn init_logging(config: &Config) {
    let filter = tracing_subscriber::EnvFilter::try_new(&config.log_level)
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    // Logs go to standard error; standard output carries only the one-time credentials notice.
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    match config.log_format {
        LogFormat::Json => builder.json().flatten_event(true).init(),
        LogFormat::Text => builder.init(),
    }
}

async fn shutdown_signal() {
    let ctrl_c = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        let mut term =
            match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
                Ok(s) => s,
                Err(_) => {
                    let _ = ctrl_c.await;
                    return;
                }
            };
        tokio::select! {
            _ = ctrl_c => {}
            _ = term.recv() => {}
        }
    }
    #[cfg(not(unix))]
    {
        let _ = ctrl_c.await;
    }
}

/// glibc's allocator serves the request and body buffers (a few hundred KiB each) from fresh
/// `mmap`s and trims its heap as soon as they are freed, so a busy upload pays a page fault and
/// a page clear for every page it receives. Keeping buffers up to 4 MiB on the heap and trimming
/// only above 64 MiB of free heap makes a 1 GiB push about 8% faster in the harness. The server
/// trims what is left free every 5 s instead (`server::trim_heap`). That trim only reaches the
/// main arena (glibc never shrinks the top of a thread's arena from `malloc_trim`), so every
/// thread shares the main arena: after a 1 GiB push the server went back to 10 MiB instead of
/// keeping 4 MiB per worker thread's arena, with no loss in the harness (small
/// allocations come from each thread's tcache without the arena lock).
fn tune_allocator() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: mallopt only sets allocator parameters; it is called before any other thread runs.
    unsafe {
        libc::mallopt(libc::M_MMAP_THRESHOLD, 4 * 1024 * 1024);
        libc::mallopt(libc::M_TRIM_THRESHOLD, 64 * 1024 * 1024);
        libc::mallopt(libc::M_ARENA_MAX, 1);
    }
}

fn main() -> anyhow::Result<()> {
    tune_allocator();
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?
        .block_on(run())
}

async fn run() -> anyhow::Result<()> {
    let cli = Cli::parse();
    match cli.command {
        Command::Serve(args) => {
            let config = Config::resolve(*args)?;
            init_logging(&config);
            let server = berth::start(config).await?;
            let stop = server.stopper();
            tokio::spawn(async move {
                shutdown_signal().await;
                let _ = stop.send(true);
            });
            server.wait().await;
            Ok(())
        }
        Command::Admin(args) => {
            let out = berth::admin::run(*args).await?;
            match &out {
                // a report rendered as text (usage's table)
                serde_json::Value::String(text) => print!("{text}"),
                other => println!("{}", serde_json::to_string_pretty(other)?),
            }
            // fsck: problems left unrepaired make the command fail
            let unresolved = out
                .get("problems")
                .and_then(|p| p.as_array())
                .is_some_and(|p| p.iter().any(|x| x.get("repaired") == Some(&false.into())));
            if unresolved {
                std::process::exit(1);
            }
            Ok(())
        }
    }
}
