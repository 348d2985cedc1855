//! One module per subcommand.

pub mod bench;
pub mod contract;
pub mod detect;
pub mod evaluate;
pub mod events;
pub mod generate;
pub mod ingest;
pub mod predict;
pub mod serve;
pub mod simulate;
pub mod threshold;
pub mod train;
pub mod transform;
