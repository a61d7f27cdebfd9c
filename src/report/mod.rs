//! Named SQL reports: the catalog of `.sql` files, running them read-only with bound
//! parameters, and rendering their results.

pub mod catalog;
pub mod render;
pub mod run;
