//! Model files and `model.tar.gz` artifacts: every input loads or is refused with an error, never a panic or an
//! abort, within the memory limit (run with `-rss_limit_mb=512`, see scripts/fuzz); a model that loads holds only
//! finite weights and its scores are finite.
//!
//! The first byte selects the mode. Even: the rest is a file as `Model::load` reads it (a model file or a
//! `model.tar.gz`, told apart by content). Odd below 0x80: the rest is `header JSON [0x00 tail]`, framed into a model
//! file by the harness: magic, version, header length, the header, a body as long as the header's tensors declare
//! (zeros overwritten by the tail, at most `MAX_BODY` bytes; else the tail alone) and a correct checksum. The framing
//! lets the fuzzer reach the checks behind the length and checksum (hyperparameters, layout, shapes, model size,
//! weights) with small inputs. Odd from 0x81: a compressed bomb built by the harness (see [`bomb`]), so that small
//! inputs reach what only large inflated streams and large claims reach: entries inflating to up to 16 MiB, tar
//! sizes up to 8 GiB, and claims that the compression ratio admits.
#![no_main]

use ipinsights_engine::Model;
use libfuzzer_sys::fuzz_target;
use std::io::Write;
use std::sync::OnceLock;

/// The largest body the harness builds (a valid model with vector_dim 4 needs about 4.3 MB).
const MAX_BODY: u64 = 16 << 20;

/// The most zeros a bomb inflates to beside its content, in MiB.
const MAX_ZEROS_MIB: u8 = 16;

/// The most bytes appended after a bomb's gzip member (they make large claims pass the ratio check), in KiB.
const MAX_PADDING_KIB: u16 = 8 << 10;

/// The largest size a tar header's 11 octal digits hold.
const MAX_TAR_SIZE: u64 = (1 << 33) - 1;

fuzz_target!(|data: &[u8]| {
    let Some((&mode, rest)) = data.split_first() else { return };
    let file = match mode {
        m if m % 2 == 0 => rest.to_vec(),
        m if m < 0x80 => frame(rest),
        _ => bomb(rest),
    };
    match Model::from_file_bytes(&file, "fuzz") {
        Ok(model) => {
            let finite = |v: &[f32]| v.iter().all(|x| x.is_finite());
            assert!(finite(&model.entity) && finite(&model.ip_table));
            assert!(model.layers.iter().all(|l| finite(&l.w) && finite(&l.b)));
            let pairs = [("fuzz", "10.1.2.3".parse().unwrap()), ("x", "2001:db8::1".parse().unwrap())];
            let scores = model.score_pairs(&pairs);
            assert_eq!(scores.len(), 2);
            assert!(finite(&scores), "non-finite scores {scores:?}");
            assert!(finite(&model.ip_embedding(pairs[0].1)));
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

/// Builds a `model.tar.gz` bomb from `zeros flags claim[8] padding[2] content`:
///
/// * the tar holds one entry: its header (claiming `claim` bytes, little-endian, up to 8 GiB; 0 claims exactly what
///   follows), then `content` (framed as a model file first when flag bit 0 is set), then `zeros % 17` MiB of zeros;
/// * flag bit 1 names the entry `other.bin` instead of `model.ipinsights`, bit 2 makes it a GNU long-name entry
///   (`L`), bit 3 spoils the header's checksum;
/// * `padding % 8192` KiB of bytes follow the gzip member: readers ignore them, but they make a large claim look
///   possible by deflate's best ratio.
///
/// The gzip member's trailer is correct, so a reader that inflates everything sees a valid stream.
fn bomb(input: &[u8]) -> Vec<u8> {
    let mut fields = [0u8; 12];
    let n = input.len().min(12);
    fields[..n].copy_from_slice(&input[..n]);
    let content = &input[n..];
    let (zeros, flags) = (fields[0] % (MAX_ZEROS_MIB + 1), fields[1]);
    let claim = u64::from_le_bytes(fields[2..10].try_into().unwrap()) % (MAX_TAR_SIZE + 1);
    let padding = u16::from_le_bytes(fields[10..12].try_into().unwrap()) % MAX_PADDING_KIB;
    let content = if flags & 1 != 0 { frame(content) } else { content.to_vec() };
    let size = if claim == 0 { content.len() as u64 + (u64::from(zeros) << 20) } else { claim };
    let name: &[u8] = if flags & 2 != 0 { b"other.bin" } else { b"model.ipinsights" };
    let mut header = tar_header(name, size, if flags & 4 != 0 { b'L' } else { b'0' });
    if flags & 8 != 0 {
        header[148] ^= 1;
    }
    let mut prefix = header.to_vec();
    prefix.extend(&content);
    let mut out = gzip_with_zeros(&prefix, zeros);
    out.resize(out.len() + (usize::from(padding) << 10), 0x55);
    out
}

/// A ustar header for a `size`-byte entry `name` of type `kind`.
fn tar_header(name: &[u8], size: u64, kind: u8) -> [u8; 512] {
    let mut block = [0u8; 512];
    block[..name.len()].copy_from_slice(name);
    block[100..108].copy_from_slice(b"0000644\0");
    block[124..135].copy_from_slice(format!("{size:011o}").as_bytes());
    block[136..148].copy_from_slice(b"00000000000\0");
    block[156] = kind;
    block[257..265].copy_from_slice(b"ustar  \0");
    block[148..156].fill(b' ');
    let sum: u32 = block.iter().map(|&b| u32::from(b)).sum();
    block[148..156].copy_from_slice(format!("{sum:06o}\0 ").as_bytes());
    block
}

/// One sync-flushed deflate block that inflates to a MiB of zeros and refers back only to zeros (so it can follow
/// any MiB of zeros), computed once.
fn zeros_block() -> &'static [u8] {
    static BLOCK: OnceLock<Vec<u8>> = OnceLock::new();
    BLOCK.get_or_init(|| {
        let mib = vec![0u8; 1 << 20];
        let mut deflate = flate2::write::DeflateEncoder::new(Vec::new(), flate2::Compression::best());
        deflate.write_all(&mib).unwrap();
        deflate.flush().unwrap();
        let first = deflate.get_ref().len();
        deflate.write_all(&mib).unwrap();
        deflate.flush().unwrap();
        deflate.get_ref()[first..].to_vec()
    })
}

/// A gzip member holding `prefix` then `zeros` MiB of zeros, with a correct trailer.
fn gzip_with_zeros(prefix: &[u8], zeros: u8) -> Vec<u8> {
    let mib = vec![0u8; 1 << 20];
    let mut deflate = flate2::write::DeflateEncoder::new(Vec::new(), flate2::Compression::fast());
    deflate.write_all(prefix).unwrap();
    let mut crc = crc32fast::Hasher::new();
    crc.update(prefix);
    if zeros > 0 {
        deflate.write_all(&mib).unwrap();
        crc.update(&mib);
    }
    deflate.flush().unwrap();
    let mut out = vec![0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 0xff];
    out.extend(deflate.get_ref());
    for _ in 1..zeros {
        out.extend(zeros_block());
        crc.update(&mib);
    }
    out.extend([0x03, 0x00]); // the final, empty block
    out.extend(crc.finalize().to_le_bytes());
    let len = prefix.len() as u64 + (u64::from(zeros) << 20);
    out.extend((len as u32).to_le_bytes());
    out
}
