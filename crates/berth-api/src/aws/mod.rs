//! What every AWS protocol shares: the authenticated caller, SigV4 authentication, errors, JSON
//! input, output, pagination tokens, time. Leaf modules: nothing here imports a service or the router
//! (`crate::endpoint`), which sit above.

pub mod auth;
pub mod caller;
pub mod error;
pub mod iam_error;
pub mod input;
pub mod pagination;
pub mod registry_error;
pub mod reply;
pub mod time;

pub use caller::AwsCaller;
pub use error::AwsError;
pub use iam_error::iam_error;
pub use input::{flag, Checks, Input, Request};
pub use pagination::{next_token, read_token};
pub use registry_error::registry_error;
pub use reply::{reply, Empty};
pub use time::Epoch;

pub const JSON_1_1: &str = "application/x-amz-json-1.1";
pub const AMZN_REQUEST_ID: http::HeaderName = http::HeaderName::from_static("x-amzn-requestid");
/// The largest body of a request, unless its operation allows more (ECR's UploadLayerPart and
/// PutImage): ECR's batches of 100 image IDs, policy documents and the Query protocols' forms
/// all fit many times over.
pub const SMALL_BODY: usize = 256 * 1024;
