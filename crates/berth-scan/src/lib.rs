//! Berth's vulnerability scanner as a library: layers read as streams ([`layer`]) and applied
//! as the runtime applies them ([`fs`]), the packages an image has installed ([`inventory`]),
//! vulnerability data in OSV's model ([`vulndb`]), the version order of each ecosystem
//! ([`version`]), and the matcher ([`matcher`]). It reads the bytes it is given and does no
//! network or database I/O; berth-registry feeds it blobs and stores its results. It depends on
//! no other Berth crate.

pub mod binary;
pub mod error;
pub mod fs;
mod guard;
pub mod inventory;
pub mod layer;
pub mod matcher;
pub mod severity;
pub mod version;
pub mod vulndb;

use std::io::Read;

pub use error::ScanError;
pub use inventory::{Inventory, Package};
pub use layer::Limits;
pub use matcher::Finding;
pub use version::Scheme;

/// The inventory of an image from its layers, lowest first, each read as a stream.
pub fn inventory_of<R: Read>(
    layers: impl IntoIterator<Item = R>,
    limits: &Limits,
) -> Result<Inventory, ScanError> {
    let mut fs = fs::Filesystem::default();
    for (i, layer) in layers.into_iter().enumerate() {
        fs.apply(layer::read_layer(i, layer, &inventory::wanted, limits)?);
    }
    Ok(inventory::inventory(&fs))
}
