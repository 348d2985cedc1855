//! `ipinsights contract`: the process contract version this binary speaks, for the notebook facade to check
//! before it starts jobs or endpoints with it.

use anyhow::Result;
use ipinsights_contract::ContractInfo;

/// Prints `{"version": N, "package_version": "…"}`.
pub fn run() -> Result<()> {
    let info = ContractInfo { package_version: env!("CARGO_PKG_VERSION").into() };
    println!("{}", ipinsights_contract::encode(&info));
    Ok(())
}
