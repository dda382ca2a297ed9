//! What the CDN serves: the bytes of an asset's file, or of an archive.
//!
//! An uploaded file whose bytes the storage kept is served as uploaded. Every
//! other file (seeded, generated, converted, or too large to keep) is made up
//! from its name: the same asset and format always give the same bytes, at the
//! size the asset declares, produced as they are sent so that a file of any size
//! costs no memory. Archives are made up the same way; they are opaque bytes, not
//! a readable zip.

use std::ops::Range;

use bytes::{Bytes, BytesMut};
use fastrand::Rng;
use sha2::{Digest, Sha256};

/// Made-up files are produced in blocks of this size.
const BLOCK: usize = 64 * 1024;

/// The bytes of one file.
#[derive(Clone, Debug)]
pub(crate) enum Content {
    /// What an upload sent.
    Kept(Bytes),
    /// Made up from a seed: block `i` is a pseudo-random block of the seed with
    /// `i` written over its first eight bytes, so every block differs and a byte
    /// read at the wrong offset shows.
    MadeUp { seed: u64, len: u64 },
}

impl Content {
    /// A made-up file named `name` of `len` bytes.
    pub(crate) fn made_up(name: &str, len: u64) -> Self {
        Content::MadeUp {
            seed: name_seed(name),
            len,
        }
    }

    pub(crate) fn len(&self) -> u64 {
        match self {
            Content::Kept(bytes) => bytes.len() as u64,
            Content::MadeUp { len, .. } => *len,
        }
    }

    /// The bytes in `range` (clamped to the file), in chunks of at most 64 KiB.
    pub(crate) fn chunks(&self, range: Range<u64>) -> impl Iterator<Item = Bytes> + Send + 'static {
        let end = range.end.min(self.len());
        let mut at = range.start.min(end);
        let content = self.clone();
        let block = match &content {
            Content::MadeUp { seed, .. } => Some(seed_block(*seed)),
            Content::Kept(_) => None,
        };
        std::iter::from_fn(move || {
            if at >= end {
                return None;
            }
            let chunk = match (&content, &block) {
                (Content::Kept(bytes), _) => {
                    let to = end.min(at + BLOCK as u64);
                    // Both ends are within the kept bytes, whose length fits usize.
                    bytes.slice(usize::try_from(at).ok()?..usize::try_from(to).ok()?)
                }
                (Content::MadeUp { .. }, Some(block)) => {
                    let index = at / BLOCK as u64;
                    let offset = usize::try_from(at % BLOCK as u64).ok()?;
                    let take = usize::try_from((end - at).min((BLOCK - offset) as u64)).ok()?;
                    let whole = stamped(block, index);
                    whole.slice(offset..offset + take)
                }
                (Content::MadeUp { .. }, None) => return None,
            };
            at += chunk.len() as u64;
            Some(chunk)
        })
    }

    /// The SHA-256 of the whole file, in hex.
    pub(crate) fn sha256(&self) -> String {
        let mut hasher = Sha256::new();
        for chunk in self.chunks(0..self.len()) {
            hasher.update(&chunk);
        }
        hasher
            .finalize()
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect()
    }
}

/// The size of a made-up file the service generated (a model's output): from
/// 64 KiB to 128 KiB, fixed by its name.
pub(crate) fn generated_size(name: &str) -> u64 {
    BLOCK as u64 + name_seed(name) % BLOCK as u64
}

/// FNV-1a of the name: stable across runs and platforms.
fn name_seed(name: &str) -> u64 {
    name.bytes().fold(0xcbf2_9ce4_8422_2325, |hash, byte| {
        (hash ^ u64::from(byte)).wrapping_mul(0x0100_0000_01b3)
    })
}

fn seed_block(seed: u64) -> Bytes {
    let mut rng = Rng::with_seed(seed);
    let mut block = vec![0u8; BLOCK];
    rng.fill(&mut block);
    Bytes::from(block)
}

fn stamped(block: &Bytes, index: u64) -> Bytes {
    let mut out = BytesMut::from(&block[..]);
    out[..8].copy_from_slice(&index.to_le_bytes());
    out.freeze()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn collect(content: &Content, range: Range<u64>) -> Vec<u8> {
        content.chunks(range).flat_map(|c| c.to_vec()).collect()
    }

    #[test]
    fn made_up_files_are_stable_and_ranges_are_slices_of_the_whole() {
        let content = Content::made_up("asset_1.png", 200_000);
        let whole = collect(&content, 0..200_000);
        assert_eq!(whole.len(), 200_000);
        assert_eq!(
            whole,
            collect(&Content::made_up("asset_1.png", 200_000), 0..200_000)
        );
        assert_ne!(
            whole,
            collect(&Content::made_up("asset_2.png", 200_000), 0..200_000)
        );
        for range in [0..1, 65_535..65_537, 70_000..199_999, 131_072..200_000] {
            let (start, end) = (range.start as usize, range.end as usize);
            assert_eq!(collect(&content, range), whole[start..end]);
        }
        assert!(collect(&content, 200_000..300_000).is_empty());
        // Blocks differ from each other, so an offset error shows.
        assert_ne!(whole[..BLOCK], whole[BLOCK..2 * BLOCK]);
    }

    #[test]
    fn kept_bytes_are_served_as_they_are() {
        let bytes: Vec<u8> = (0..100_000u32).map(|i| (i % 251) as u8).collect();
        let content = Content::Kept(Bytes::from(bytes.clone()));
        assert_eq!(collect(&content, 0..100_000), bytes);
        assert_eq!(collect(&content, 99_990..200_000), bytes[99_990..]);
        assert_eq!(content.sha256().len(), 64);
    }
}
