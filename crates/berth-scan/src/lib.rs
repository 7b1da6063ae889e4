//! Berth's vulnerability scanner as a library: layers read as streams ([`layer`]) and applied
//! as the runtime applies them ([`fs`]), the packages an image has installed ([`inventory`]),
//! vulnerability data in OSV's model ([`vulndb`]), the version order of each ecosystem
//! ([`version`]), the matcher ([`matcher`]), and SBOM documents ([`sbom`]). It reads the bytes
//! it is given and does no network or database I/O; berth-registry feeds it blobs and stores its
//! results. It depends on no other Berth crate.

pub mod binary;
pub mod error;
pub mod fs;
mod guard;
pub mod inventory;
pub mod layer;
pub mod matcher;
pub mod sbom;
pub mod severity;
pub mod version;
pub mod vulndb;

use std::io::Read;

pub use error::ScanError;
pub use inventory::{Inventory, Package};
pub use layer::Limits;
pub use matcher::Finding;
pub use version::Scheme;

/// An image's layers read one after another, lowest first (for callers that open each layer
/// only when it is its turn), then its inventory.
pub struct LayerStack {
    fs: fs::Filesystem,
    limits: Limits,
    read: usize,
}

impl LayerStack {
    pub fn new(limits: Limits) -> LayerStack {
        LayerStack {
            fs: fs::Filesystem::default(),
            limits,
            read: 0,
        }
    }

    /// Read the next layer up, as a stream.
    pub fn push<R: Read>(&mut self, layer: R) -> Result<(), ScanError> {
        let changes = layer::read_layer(self.read, layer, &inventory::wanted, &self.limits)?;
        self.fs.apply(changes);
        self.read += 1;
        Ok(())
    }

    /// What the layers read so far have installed.
    pub fn inventory(&self) -> Inventory {
        inventory::inventory(&self.fs)
    }
}

/// The inventory of an image from its layers, lowest first, each read as a stream.
pub fn inventory_of<R: Read>(
    layers: impl IntoIterator<Item = R>,
    limits: &Limits,
) -> Result<Inventory, ScanError> {
    let mut stack = LayerStack::new(*limits);
    for layer in layers {
        stack.push(layer)?;
    }
    Ok(stack.inventory())
}
