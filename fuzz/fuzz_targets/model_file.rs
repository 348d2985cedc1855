//! Model files and `model.tar.gz` artifacts: every input loads or is refused with an error, never a panic or an
//! abort; a model that loads holds only finite weights and scores.
//!
//! The first byte selects the mode. Even: the rest is a file as `Model::load` reads it (a model file or a
//! `model.tar.gz`, told apart by content). Odd: the rest is `header JSON [0x00 tail]`, framed into a model file by
//! the harness: magic, version, header length, the header, a body as long as the header's tensors declare (zeros
//! overwritten by the tail, at most `MAX_BODY` bytes; else the tail alone) and a correct checksum. The framing lets
//! the fuzzer reach the checks behind the length and checksum (hyperparameters, layout, shapes, model size,
//! non-finite weights) with small inputs.
#![no_main]

use ipinsights_engine::Model;
use libfuzzer_sys::fuzz_target;

/// The largest body the harness builds (a valid model with vector_dim 4 needs about 4.3 MB).
const MAX_BODY: u64 = 16 << 20;

fuzz_target!(|data: &[u8]| {
    let Some((&mode, rest)) = data.split_first() else { return };
    let file = if mode % 2 == 0 { rest.to_vec() } else { frame(rest) };
    match Model::from_file_bytes(&file, "fuzz") {
        Ok(model) => {
            let finite = |v: &[f32]| v.iter().all(|x| x.is_finite());
            assert!(finite(&model.entity) && finite(&model.ip_table));
            assert!(model.layers.iter().all(|l| finite(&l.w) && finite(&l.b)));
            let pairs = [("fuzz", "10.1.2.3".parse().unwrap()), ("x", "2001:db8::1".parse().unwrap())];
            assert_eq!(model.score_pairs(&pairs).len(), 2);
            let _ = model.ip_embedding(pairs[0].1);
        }
        Err(e) => {
            assert!(!e.to_string().is_empty());
        }
    }
});

/// Frames `header JSON [0x00 tail]` into a model file with a body of the declared size and a correct checksum.
fn frame(input: &[u8]) -> Vec<u8> {
    let (header, tail) = match input.iter().position(|&b| b == 0) {
        Some(at) => (&input[..at], &input[at + 1..]),
        None => (input, &[][..]),
    };
    let declared = serde_json::from_slice::<serde_json::Value>(header).ok().and_then(|h| {
        h.get("tensors")?.as_array()?.iter().try_fold(0u64, |sum, t| {
            let values = t.get("shape")?.as_array()?.iter().try_fold(1u64, |n, d| n.checked_mul(d.as_u64()?))?;
            sum.checked_add(values.checked_mul(4)?)
        })
    });
    let mut body = match declared {
        Some(len) if len <= MAX_BODY => vec![0u8; len as usize],
        _ => Vec::new(),
    };
    if body.len() >= tail.len() {
        body[..tail.len()].copy_from_slice(tail);
    } else {
        body = tail.to_vec();
    }
    let mut file = b"IPINSMDL".to_vec();
    file.extend(1u32.to_le_bytes());
    file.extend((header.len() as u32).to_le_bytes());
    file.extend(header);
    file.extend(body);
    let crc = crc32fast::hash(&file);
    file.extend(crc.to_le_bytes());
    file
}
