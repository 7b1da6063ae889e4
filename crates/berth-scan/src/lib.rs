//! Berth's vulnerability scanner as a library: the versions of each package ecosystem and how
//! they order ([`version`]). It reads the bytes it is given and does no network or database I/O;
//! berth-registry feeds it blobs and stores its results. It depends on no other Berth crate.

pub mod version;

pub use version::Scheme;
