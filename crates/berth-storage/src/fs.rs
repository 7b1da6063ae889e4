//! The filesystem backend: `ROOT/blobs/<alg>/<2 hex>/<hex>` and `ROOT/uploads/<uuid>`, on one
//! filesystem so that finishing an upload is an atomic rename. Blob files are immutable once
//! renamed into place (only ever unlinked), which is what lets reads memory-map them.

use std::io::SeekFrom;
use std::ops::Range;
use std::path::{Path, PathBuf};

use async_trait::async_trait;
use berth_oci::{Digest, Hasher};
use bytes::Bytes;
use futures_util::StreamExt;
use tokio_util::io::ReaderStream;
use uuid::Uuid;

use crate::{
    hash_stream, put_streamed, receive, Appended, BlobStore, ByteStream, Result, StorageError,
    StoredItem,
};

/// Read size when an upload is read back (to rebuild a hash state).
const READ_CHUNK: usize = 512 * 1024;
/// Size of the frames a mapped blob is sent in.
const SEND_CHUNK: usize = 2 * 1024 * 1024;
/// Blobs smaller than this are read whole rather than mapped.
const MAP_MIN: u64 = 256 * 1024;
/// Chunks queued between the request and the writer thread. Few: the writer hashes each chunk
/// as it takes it, and a chunk still in the CPU's caches hashes at about 1.75 GB/s here against
/// 1.05 GB/s from memory (a 1 GiB push measured 1,019–1,033 MiB/s with 8 against 885–958 with 64,
/// alternating runs on one 2-core VM).
const WRITER_QUEUE: usize = 8;
/// Name prefix of a short blob being written beside its final path by `put` (never a digest's
/// hex, so a crash leaves a file the collector recognises as debris).
pub const PUT_PREFIX: &str = ".put-";
/// Chunks written by one writev call, at most.
const WRITEV_BATCH: usize = 64;

#[derive(Debug, Clone)]
pub struct FsBlobStore {
    root: PathBuf,
    fsync: bool,
    buffers: BufPool,
}

impl FsBlobStore {
    /// Open (creating if needed) a store under `root`. With `fsync`, blob data is flushed to disk
    /// before it becomes visible.
    pub async fn open(root: impl Into<PathBuf>, fsync: bool) -> Result<Self> {
        let root = root.into();
        tokio::fs::create_dir_all(root.join("blobs")).await?;
        tokio::fs::create_dir_all(root.join("uploads")).await?;
        Ok(FsBlobStore {
            root,
            fsync,
            buffers: BufPool::default(),
        })
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    /// Path of a blob. Digests are validated hex, so the path cannot leave the root.
    pub fn blob_path(&self, d: &Digest) -> PathBuf {
        let hex = d.hex();
        self.root
            .join("blobs")
            .join(d.algorithm().as_str())
            .join(&hex[..2])
            .join(hex)
    }

    fn upload_path(&self, id: Uuid) -> PathBuf {
        self.root.join("uploads").join(id.hyphenated().to_string())
    }
}

impl FsBlobStore {
    /// An append whose declared length is short: received and hashed in memory, then opened,
    /// checked and written in one blocking call.
    async fn append_small(
        &self,
        id: Uuid,
        offset: u64,
        body: ByteStream,
        declared: u64,
        hasher: &mut Hasher,
    ) -> Result<Appended> {
        let mut state = hasher.clone();
        let (chunks, received) = receive(body, Some(declared), &mut state).await?;
        let path = self.upload_path(id);
        blocking(move || {
            let mut f = open_upload(&path, offset, false)?;
            let actual = f.metadata()?.len();
            if actual != offset {
                return Err(StorageError::OffsetMismatch {
                    expected: offset,
                    actual,
                });
            }
            std::io::Seek::seek(&mut f, SeekFrom::Start(offset))?;
            if let Err(e) = write_all_vectored(&mut f, &chunks) {
                f.set_len(offset)?;
                return Err(e.into());
            }
            Ok(())
        })
        .await?;
        *hasher = state;
        Ok(Appended {
            size: offset + received,
        })
    }
}

/// The bytes of a stored blob: read whole when small, otherwise memory-mapped, so that serving it
/// copies page-cache pages straight into the socket with no `read()` copy through userspace.
fn map_blob(path: &Path) -> Result<Bytes> {
    let file =
        std::fs::File::open(path).map_err(|e| not_found_as(e, StorageError::BlobNotFound))?;
    let len = file.metadata()?.len();
    if len < MAP_MIN {
        let mut buf = Vec::with_capacity(len as usize);
        std::io::Read::read_to_end(&mut { file }, &mut buf)?;
        return Ok(Bytes::from(buf));
    }
    // SAFETY: the mapping is read-only and blob files are immutable. A blob file appears by an
    // atomic rename of a verified upload, is never opened for writing again, and is removed only
    // by unlink, which leaves existing mappings valid. Only an outside process truncating a file
    // in the data directory (which belongs to Berth alone) could invalidate the mapping.
    let map = unsafe { memmap2::Mmap::map(&file)? };
    let _ = map.advise(memmap2::Advice::Sequential);
    Ok(Bytes::from_owner(map))
}

/// The writer thread of an append: writes every chunk received at `offset` onwards and returns
/// the file and the bytes written.
///
/// An append shorter than [`DIRECT_BUF`] goes through the page cache in one `writev`. A longer
/// one is copied into aligned buffers and written with `O_DIRECT`: the data goes from this buffer
/// to the disk by DMA, instead of being copied into freshly allocated page-cache pages (which is
/// what bounds buffered writes, and on virtual machines costs a host fault per page) and later
/// written back. A layer pushed once is rarely read at once, so it should not evict what is, and
/// the flush before commit then has only metadata left to write. Filesystems without `O_DIRECT`
/// get buffered writes from the same buffers.
fn write_chunks(
    mut file: std::fs::File,
    offset: u64,
    mut rx: tokio::sync::mpsc::Receiver<Bytes>,
    pool: BufPool,
    hasher: &mut Hasher,
) -> std::io::Result<(std::fs::File, u64)> {
    let mut pending: Vec<Bytes> = Vec::new();
    let mut pending_len = 0usize;
    while pending_len < DIRECT_BUF {
        match rx.blocking_recv() {
            Some(b) => {
                pending_len += b.len();
                pending.push(b);
            }
            None => break,
        }
    }
    if pending_len < DIRECT_BUF {
        for b in &pending {
            hasher.update(b);
        }
        write_all_vectored(&mut file, &pending)?;
        return Ok((file, pending_len as u64));
    }
    let written = write_direct(&file, offset, pending, &mut rx, &pool, hasher)?;
    Ok((file, written))
}

/// Write all of `chunks` at the file's position, batching them into `writev` calls.
fn write_all_vectored(file: &mut std::fs::File, chunks: &[Bytes]) -> std::io::Result<()> {
    use std::io::{IoSlice, Write};
    for batch in chunks.chunks(WRITEV_BATCH) {
        let mut slices: Vec<IoSlice<'_>> = batch.iter().map(|b| IoSlice::new(b)).collect();
        let mut rest = &mut slices[..];
        while !rest.is_empty() {
            let n = file.write_vectored(rest)?;
            if n == 0 {
                return Err(std::io::ErrorKind::WriteZero.into());
            }
            IoSlice::advance_slices(&mut rest, n);
        }
    }
    Ok(())
}

/// How much of a chunk is copied before it is hashed: small enough to stay in the core's caches.
const HASH_PIECE: usize = 64 * 1024;

/// Alignment of `O_DIRECT` offsets, lengths and buffers (the page size, which covers the logical
/// block size of every disk Linux drives).
const ALIGN: usize = 4096;
/// Size of the aligned buffers, and the length from which an append bypasses the page cache.
const DIRECT_BUF: usize = 2 * 1024 * 1024;
/// Aligned buffers kept for reuse (reusing them spares a fresh allocation, and its page faults,
/// per request).
const POOL_KEEP: usize = 4;
/// Aligned buffers one append uses at most: one being filled while the other is in the disk
/// writer. Four were tried against two (to ride out disk latency spikes); six alternating runs
/// could not tell them apart on this project's 2-core VM, so the smaller memory stays.
const DIRECT_IN_FLIGHT: usize = 2;

/// A `DIRECT_BUF`-byte buffer aligned to `ALIGN`: an anonymous mapping of its own (page-aligned),
/// so that dropping it gives the memory straight back to the system. Taken from glibc's heap it
/// would stay in the arena of the thread that freed it: `malloc_trim` does not shrink the top of
/// a thread's arena. The heap is the fallback when mapping fails.
enum AlignedBuf {
    Mapped(memmap2::MmapMut),
    Heap { raw: Vec<u8>, start: usize },
}

impl AlignedBuf {
    fn new() -> Self {
        match memmap2::MmapMut::map_anon(DIRECT_BUF) {
            Ok(m) => AlignedBuf::Mapped(m),
            Err(_) => {
                let raw = vec![0u8; DIRECT_BUF + ALIGN];
                // The heap block never moves with the Vec, so the offset stays right.
                let start = raw.as_ptr().align_offset(ALIGN).min(ALIGN);
                AlignedBuf::Heap { raw, start }
            }
        }
    }

    fn is_aligned(&self) -> bool {
        match self {
            AlignedBuf::Mapped(m) => (m.as_ptr() as usize).is_multiple_of(ALIGN),
            AlignedBuf::Heap { start, .. } => *start < ALIGN,
        }
    }

    fn bytes(&mut self) -> &mut [u8] {
        match self {
            AlignedBuf::Mapped(m) => &mut m[..DIRECT_BUF],
            AlignedBuf::Heap { raw, start } => &mut raw[*start..*start + DIRECT_BUF],
        }
    }
}

/// Aligned buffers shared by the store's writers.
#[derive(Debug, Clone, Default)]
struct BufPool(std::sync::Arc<std::sync::Mutex<Pooled>>);

/// The buffers kept, and whether one was taken since the last [`BufPool::release_idle`].
#[derive(Debug, Default)]
struct Pooled {
    free: Vec<AlignedBuf>,
    used: bool,
}

impl std::fmt::Debug for AlignedBuf {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("AlignedBuf")
    }
}

impl BufPool {
    fn take(&self) -> AlignedBuf {
        let got = self.0.lock().ok().and_then(|mut p| {
            p.used = true;
            p.free.pop()
        });
        got.unwrap_or_else(AlignedBuf::new)
    }

    fn give(&self, buf: AlignedBuf) {
        if let Ok(mut p) = self.0.lock() {
            if p.free.len() < POOL_KEEP {
                p.free.push(buf);
            }
        }
    }

    /// Free the kept buffers if none was taken since the previous call.
    fn release_idle(&self) {
        let freed = self.0.lock().ok().and_then(|mut p| {
            let idle = !std::mem::take(&mut p.used);
            idle.then(|| std::mem::take(&mut p.free))
        });
        drop(freed);
    }
}

/// A filled buffer on its way to the disk: `len` bytes of data for file offset `pos`.
struct Block {
    buf: AlignedBuf,
    pos: u64,
    len: usize,
}

/// Writes a stream through aligned buffers with `O_DIRECT`, starting at any offset: the block the
/// offset falls in is read back first so that every write starts on a block boundary, and the
/// last partial block is written padded, then the file is cut to its real length. Two buffers
/// alternate: this thread fills one while a helper thread writes the other, so that copying and
/// the disk's transfer overlap.
fn write_direct(
    file: &std::fs::File,
    offset: u64,
    pending: Vec<Bytes>,
    rx: &mut tokio::sync::mpsc::Receiver<Bytes>,
    pool: &BufPool,
    hasher: &mut Hasher,
) -> std::io::Result<u64> {
    use std::os::unix::fs::FileExt;
    let mut buf = pool.take();
    let head = (offset % ALIGN as u64) as usize;
    let mut pos = offset - head as u64;
    if head > 0 {
        file.read_exact_at(&mut buf.bytes()[..head], pos)?;
    }
    let direct = buf.is_aligned() && set_direct(file, true).is_ok();
    let mut fill = head;
    let (full_tx, full_rx) = std::sync::mpsc::sync_channel::<Block>(DIRECT_IN_FLIGHT - 1);
    let (empty_tx, empty_rx) = std::sync::mpsc::channel::<AlignedBuf>();
    let mut in_use = 1usize;
    let filled = std::thread::scope(|scope| -> std::io::Result<u64> {
        let io = scope.spawn(move || write_blocks(file, direct, full_rx, empty_tx));
        // Every chunk is hashed piece by piece right after it is copied, from the buffer while
        // it is still in this core's cache: the copy pulls the chunk across from the receiving
        // core far faster than hashing it there would (+23% on a 1 GiB push, 2026-11-29).
        let chunks = pending
            .into_iter()
            .chain(std::iter::from_fn(|| rx.blocking_recv()));
        let mut failed = false;
        'stream: for chunk in chunks {
            let mut data: &[u8] = &chunk;
            while !data.is_empty() {
                let n = (DIRECT_BUF - fill).min(data.len()).min(HASH_PIECE);
                let dst = &mut buf.bytes()[fill..fill + n];
                dst.copy_from_slice(&data[..n]);
                hasher.update(dst);
                fill += n;
                data = &data[n..];
                if fill == DIRECT_BUF {
                    let next = match empty_rx.try_recv() {
                        Ok(b) => b,
                        Err(_) if in_use < DIRECT_IN_FLIGHT => {
                            in_use += 1;
                            pool.take()
                        }
                        Err(_) => match empty_rx.recv() {
                            Ok(b) => b,
                            Err(_) => {
                                failed = true;
                                break 'stream;
                            }
                        },
                    };
                    let full = std::mem::replace(&mut buf, next);
                    if full_tx
                        .send(Block {
                            buf: full,
                            pos,
                            len: DIRECT_BUF,
                        })
                        .is_err()
                    {
                        failed = true;
                        break 'stream;
                    }
                    pos += DIRECT_BUF as u64;
                    fill = 0;
                }
            }
        }
        let end = pos + fill as u64;
        if !failed && fill > 0 {
            let _ = full_tx.send(Block {
                buf,
                pos,
                len: fill,
            });
        } else {
            pool.give(buf);
        }
        drop(full_tx);
        let written = io
            .join()
            .map_err(|_| std::io::Error::other("the disk writer panicked"))?;
        for b in empty_rx.try_iter() {
            pool.give(b);
        }
        written?;
        Ok(end)
    })?;
    if direct {
        set_direct(file, false)?;
    }
    // the last block may have been written padded
    file.set_len(filled)?;
    Ok(filled - offset)
}

/// The helper thread of [`write_direct`]: writes each block (padded to the block size when
/// direct), falling back to the page cache if the filesystem refuses direct writes, and hands the
/// buffers back.
fn write_blocks(
    file: &std::fs::File,
    mut direct: bool,
    blocks: std::sync::mpsc::Receiver<Block>,
    done: std::sync::mpsc::Sender<AlignedBuf>,
) -> std::io::Result<()> {
    use std::os::unix::fs::FileExt;
    for mut block in blocks {
        if direct {
            let padded = block.len.div_ceil(ALIGN) * ALIGN;
            block.buf.bytes()[block.len..padded].fill(0);
            match file.write_all_at(&block.buf.bytes()[..padded], block.pos) {
                Ok(()) => {
                    let _ = done.send(block.buf);
                    continue;
                }
                // the filesystem took the flag but not the write: use the page cache
                Err(e) if e.raw_os_error() == Some(libc::EINVAL) => {
                    set_direct(file, false)?;
                    direct = false;
                }
                Err(e) => return Err(e),
            }
        }
        file.write_all_at(&block.buf.bytes()[..block.len], block.pos)?;
        let _ = done.send(block.buf);
    }
    Ok(())
}

/// Turn `O_DIRECT` on or off for an open file.
#[cfg(target_os = "linux")]
fn set_direct(file: &std::fs::File, on: bool) -> std::io::Result<()> {
    use std::os::fd::AsRawFd;
    let fd = file.as_raw_fd();
    // SAFETY: fcntl on a file descriptor we own, reading and setting its status flags.
    let flags = unsafe { libc::fcntl(fd, libc::F_GETFL) };
    if flags < 0 {
        return Err(std::io::Error::last_os_error());
    }
    let flags = if on {
        flags | libc::O_DIRECT
    } else {
        flags & !libc::O_DIRECT
    };
    // SAFETY: as above.
    if unsafe { libc::fcntl(fd, libc::F_SETFL, flags) } < 0 {
        return Err(std::io::Error::last_os_error());
    }
    Ok(())
}

#[cfg(not(target_os = "linux"))]
fn set_direct(_file: &std::fs::File, on: bool) -> std::io::Result<()> {
    if on {
        Err(std::io::ErrorKind::Unsupported.into())
    } else {
        Ok(())
    }
}

/// Run blocking filesystem work on the blocking pool, as one hop.
/// Open upload `path` for appending at `offset`: an upload that holds no bytes has no file
/// until its first append creates one.
fn open_upload(path: &Path, offset: u64, read: bool) -> Result<std::fs::File> {
    let opened = std::fs::OpenOptions::new()
        .read(read)
        .write(true)
        .create(offset == 0)
        .truncate(false)
        .open(path);
    match opened {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Err(StorageError::OffsetMismatch {
            expected: offset,
            actual: 0,
        }),
        other => Ok(other?),
    }
}

/// Rename a flushed upload file to its blob path (creating the directory if needed). When the
/// blob is already stored the upload is dropped instead: content-addressed, it holds the same bytes.
fn place(path: &Path, target: &Path) -> Result<()> {
    if target.try_exists()? {
        std::fs::remove_file(path)?;
        return Ok(());
    }
    match std::fs::rename(path, target) {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            if let Some(dir) = target.parent() {
                std::fs::create_dir_all(dir)?;
            }
            std::fs::rename(path, target)?;
        }
        other => other?,
    }
    Ok(())
}

async fn blocking<T: Send + 'static>(f: impl FnOnce() -> Result<T> + Send + 'static) -> Result<T> {
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|e| StorageError::Io(std::io::Error::other(e)))?
}

fn not_found_as(e: std::io::Error, other: StorageError) -> StorageError {
    if e.kind() == std::io::ErrorKind::NotFound {
        other
    } else {
        StorageError::Io(e)
    }
}

#[async_trait]
impl BlobStore for FsBlobStore {
    async fn stat(&self, digest: &Digest) -> Result<Option<u64>> {
        match tokio::fs::metadata(self.blob_path(digest)).await {
            Ok(m) => Ok(Some(m.len())),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(e.into()),
        }
    }

    async fn read(&self, digest: &Digest, range: Option<Range<u64>>) -> Result<ByteStream> {
        let path = self.blob_path(digest);
        let all = blocking(move || map_blob(&path)).await?;
        let bytes = match range {
            None => all,
            Some(r) => {
                if r.end > all.len() as u64 || r.start > r.end {
                    return Err(StorageError::RangeNotSatisfiable {
                        start: r.start,
                        end: r.end,
                    });
                }
                all.slice(r.start as usize..r.end as usize)
            }
        };
        let chunks: Vec<std::io::Result<Bytes>> = (0..bytes.len())
            .step_by(SEND_CHUNK)
            .map(|i| Ok(bytes.slice(i..(i + SEND_CHUNK).min(bytes.len()))))
            .collect();
        Ok(futures_util::stream::iter(chunks).boxed())
    }

    async fn list_blobs(&self) -> Result<Vec<StoredItem<Digest>>> {
        let root = self.root.join("blobs");
        tokio::task::spawn_blocking(move || {
            let mut out = Vec::new();
            // blobs/<algorithm>/<first two hex>/<hex>
            for alg in read_dir_or_empty(&root)? {
                let alg = alg?;
                for shard in read_dir_or_empty(&alg.path())? {
                    for f in read_dir_or_empty(&shard?.path())? {
                        let f = f?;
                        let name = format!(
                            "{}:{}",
                            alg.file_name().to_string_lossy(),
                            f.file_name().to_string_lossy()
                        );
                        // anything else there (a temporary file) is not a blob
                        let Ok(d) = name.parse::<Digest>() else {
                            continue;
                        };
                        let m = f.metadata()?;
                        out.push(StoredItem {
                            key: d,
                            size: m.len(),
                            modified: modified_ms(&m),
                        });
                    }
                }
            }
            Ok(out)
        })
        .await
        .map_err(|e| StorageError::Io(std::io::Error::other(e)))?
    }

    async fn list_uploads(&self) -> Result<Vec<StoredItem<Uuid>>> {
        let root = self.root.join("uploads");
        tokio::task::spawn_blocking(move || {
            let mut out = Vec::new();
            for f in read_dir_or_empty(&root)? {
                let f = f?;
                let Ok(id) = f.file_name().to_string_lossy().parse::<Uuid>() else {
                    continue;
                };
                let m = f.metadata()?;
                out.push(StoredItem {
                    key: id,
                    size: m.len(),
                    modified: modified_ms(&m),
                });
            }
            Ok(out)
        })
        .await
        .map_err(|e| StorageError::Io(std::io::Error::other(e)))?
    }

    async fn delete(&self, digest: &Digest) -> Result<()> {
        match tokio::fs::remove_file(self.blob_path(digest)).await {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
            Err(e) => Err(e.into()),
        }
    }

    async fn upload_size(&self, id: Uuid) -> Result<u64> {
        match tokio::fs::metadata(self.upload_path(id)).await {
            Ok(m) => Ok(m.len()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(0),
            Err(e) => Err(e.into()),
        }
    }

    async fn append(
        &self,
        id: Uuid,
        offset: u64,
        mut body: ByteStream,
        declared: Option<u64>,
        hasher: &mut Hasher,
    ) -> Result<Appended> {
        if let Some(d) = declared.filter(|d| *d < DIRECT_BUF as u64) {
            return self.append_small(id, offset, body, d, hasher).await;
        }
        let path = self.upload_path(id);
        // open, check and position in one blocking call
        let std_file = blocking(move || {
            let mut f = open_upload(&path, offset, true)?;
            let actual = f.metadata()?.len();
            if actual != offset {
                return Err(StorageError::OffsetMismatch {
                    expected: offset,
                    actual,
                });
            }
            std::io::Seek::seek(&mut f, SeekFrom::Start(offset))?;
            Ok(f)
        })
        .await?;
        // This task receives; a blocking writer hashes and copies the chunks, and (for long
        // appends) a helper of its own writes them: receiving, hashing and the disk in parallel.
        let (tx, rx) = tokio::sync::mpsc::channel::<Bytes>(WRITER_QUEUE);
        let pool = self.buffers.clone();
        let mut state = hasher.clone();
        let writer = tokio::task::spawn_blocking(move || {
            write_chunks(std_file, offset, rx, pool, &mut state).map(|(f, n)| (f, n, state))
        });
        let received = async {
            let mut received: u64 = 0;
            while let Some(chunk) = body.next().await {
                let chunk: Bytes = chunk.map_err(StorageError::Body)?;
                received += chunk.len() as u64;
                if let Some(declared) = declared {
                    if received > declared {
                        return Err(StorageError::BodyTooLong { declared });
                    }
                }
                if tx.send(chunk).await.is_err() {
                    // the writer failed (a full disk): its error, reported below, is the
                    // request's, not the body that was left unread
                    return Ok(received);
                }
            }
            if let Some(declared) = declared {
                if received < declared {
                    return Err(StorageError::BodyTooShort { declared, received });
                }
            }
            Ok(received)
        }
        .await;
        drop(tx);
        let wrote = writer
            .await
            .map_err(|e| StorageError::Io(std::io::Error::other(e)))?;
        let outcome = match (received, wrote) {
            (Ok(received), Ok((file, written, state))) if written == received => {
                *hasher = state;
                Ok((file, received))
            }
            (Ok(_), Ok(_)) => Err(StorageError::Io(std::io::Error::other(
                "the writer stopped early",
            ))),
            (Err(e), _) => Err(e),
            (Ok(_), Err(e)) => Err(StorageError::Io(e)),
        };
        match outcome {
            Ok((_, received)) => Ok(Appended {
                size: offset + received,
            }),
            Err(e) => {
                // Leave nothing behind: drop what this request wrote.
                let path = self.upload_path(id);
                blocking(move || {
                    let f = std::fs::OpenOptions::new().write(true).open(&path)?;
                    f.set_len(offset)?;
                    Ok(())
                })
                .await?;
                Err(e)
            }
        }
    }

    async fn read_upload(&self, id: Uuid) -> Result<ByteStream> {
        match tokio::fs::File::open(self.upload_path(id)).await {
            Ok(file) => Ok(ReaderStream::with_capacity(file, READ_CHUNK).boxed()),
            // an upload that never received bytes is empty
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                Ok(futures_util::stream::empty().boxed())
            }
            Err(e) => Err(e.into()),
        }
    }

    async fn commit(&self, id: Uuid, digest: &Digest, computed: Option<Digest>) -> Result<u64> {
        let actual = match computed {
            Some(d) if d.algorithm() == digest.algorithm() => d,
            _ => hash_stream(self.read_upload(id).await?, digest.algorithm().hasher()).await?,
        };
        if &actual != digest {
            self.delete_upload(id).await?;
            return Err(StorageError::DigestMismatch {
                expected: digest.clone(),
                actual,
            });
        }
        let (path, target, fsync) = (self.upload_path(id), self.blob_path(digest), self.fsync);
        // flush, then rename into place, in one blocking call
        blocking(move || {
            let file = match std::fs::File::open(&path) {
                // an upload that never received bytes is the empty blob
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => std::fs::File::create(&path)?,
                other => other?,
            };
            let size = file.metadata()?.len();
            if fsync {
                file.sync_data()?;
            }
            drop(file);
            place(&path, &target)?;
            Ok(size)
        })
        .await
    }

    async fn put(
        &self,
        id: Uuid,
        digest: &Digest,
        body: ByteStream,
        declared: Option<u64>,
    ) -> Result<u64> {
        let Some(declared) = declared.filter(|d| *d < DIRECT_BUF as u64) else {
            // long or of unknown length: streamed through the upload file
            return put_streamed(self, id, digest, body, declared).await;
        };
        // Short: received and verified in memory, then written, flushed and renamed into place
        // in one blocking call; nothing at all is written when the blob is already stored.
        let mut hasher = digest.algorithm().hasher();
        let (chunks, received) = receive(body, Some(declared), &mut hasher).await?;
        let actual = hasher.finish();
        if &actual != digest {
            return Err(StorageError::DigestMismatch {
                expected: digest.clone(),
                actual,
            });
        }
        let (upload, target, fsync) = (self.upload_path(id), self.blob_path(digest), self.fsync);
        // Written beside its final name, so that placing it is a rename within one directory
        // (a rename across directories serialises on the filesystem's rename lock), and the
        // 256 blob directories share the directory locks that one upload directory would.
        let temp = target.with_file_name(format!("{PUT_PREFIX}{}", id.hyphenated()));
        blocking(move || {
            // an empty upload file, if a zero-length append made one, goes with the session
            if let Err(e) = std::fs::remove_file(&upload) {
                if e.kind() != std::io::ErrorKind::NotFound {
                    return Err(e.into());
                }
            }
            if target.try_exists()? {
                return Ok(received);
            }
            let written = (|| {
                let open = || {
                    std::fs::OpenOptions::new()
                        .write(true)
                        .create(true)
                        .truncate(true)
                        .open(&temp)
                };
                let mut f = match open() {
                    Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                        if let Some(dir) = temp.parent() {
                            std::fs::create_dir_all(dir)?;
                        }
                        open()?
                    }
                    other => other?,
                };
                write_all_vectored(&mut f, &chunks)?;
                if fsync {
                    f.sync_data()?;
                }
                drop(f);
                std::fs::rename(&temp, &target)
            })();
            if let Err(e) = written {
                let _ = std::fs::remove_file(&temp);
                return Err(e.into());
            }
            Ok(received)
        })
        .await
    }

    async fn delete_upload(&self, id: Uuid) -> Result<()> {
        match tokio::fs::remove_file(self.upload_path(id)).await {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
            Err(e) => Err(e.into()),
        }
    }

    fn free_bytes(&self) -> Option<u64> {
        free_bytes(&self.root)
    }

    fn release_idle(&self) {
        self.buffers.release_idle();
    }
}

/// A directory's entries; none when it does not exist.
/// Bytes available to unprivileged writers on the filesystem holding `path`.
#[cfg(unix)]
fn free_bytes(path: &Path) -> Option<u64> {
    use std::os::unix::ffi::OsStrExt;
    let c = std::ffi::CString::new(path.as_os_str().as_bytes()).ok()?;
    // SAFETY: statvfs reads a NUL-terminated path and fills the struct passed by pointer.
    unsafe {
        let mut st: libc::statvfs = std::mem::zeroed();
        if libc::statvfs(c.as_ptr(), &mut st) != 0 {
            return None;
        }
        Some((st.f_bavail as u64).saturating_mul(st.f_frsize as u64))
    }
}

#[cfg(not(unix))]
fn free_bytes(_path: &Path) -> Option<u64> {
    None
}

fn read_dir_or_empty(dir: &Path) -> std::io::Result<Vec<std::io::Result<std::fs::DirEntry>>> {
    match std::fs::read_dir(dir) {
        Ok(rd) => Ok(rd.collect()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Vec::new()),
        Err(e) => Err(e),
    }
}

fn modified_ms(m: &std::fs::Metadata) -> Option<i64> {
    m.modified()
        .ok()?
        .duration_since(std::time::UNIX_EPOCH)
        .ok()
        .map(|d| d.as_millis() as i64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn conformance() {
        let dir = tempfile::tempdir().unwrap();
        let store = FsBlobStore::open(dir.path(), true).await.unwrap();
        crate::conformance::run(&store).await;
        // the upload area is empty after the suite: nothing was left behind
        let left = std::fs::read_dir(dir.path().join("uploads"))
            .unwrap()
            .count();
        assert_eq!(left, 0);
        // and no short blob's temporary file is left beside the blobs
        let mut dirs = vec![dir.path().join("blobs")];
        while let Some(d) = dirs.pop() {
            for e in std::fs::read_dir(&d).unwrap() {
                let e = e.unwrap();
                if e.file_type().unwrap().is_dir() {
                    dirs.push(e.path());
                } else {
                    let name = e.file_name().to_string_lossy().into_owned();
                    assert!(!name.starts_with(PUT_PREFIX), "{name} left behind");
                }
            }
        }
    }
}
