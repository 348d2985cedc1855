//! One module per subcommand.

pub mod bench;
pub mod evaluate;
pub mod generate;
pub mod predict;
pub mod serve;
pub mod train;
