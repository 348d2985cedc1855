//! Dense numerics on row-major `f32` slices, in three parts:
//!
//! * [`kernels`]: vector kernels (dot products, axpy, the sum-of-rows dot product), portable loops LLVM vectorises
//!   plus AVX2 copies chosen at run time, bit-identical to the portable ones;
//! * [`memory`]: how the big tables are allocated and read (written zeros, huge pages, prefetch hints);
//! * [`dense`]: matrix views and the GEMM of the dense layers, with the activation and loss functions.

pub mod dense;
pub mod kernels;
pub mod memory;

pub use dense::{bce_with_logit, gemm, sigmoid, MatRef};
pub use kernels::{axpy, dot, dot_rows};
pub use memory::{prefetch, prefetch_row, prefetch_span, written_zeros};
