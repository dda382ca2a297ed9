//! Deterministic test content: the same bytes on every run, different from
//! one part of an upload to the next.

use std::path::PathBuf;

use tempfile::TempDir;

/// `len` bytes from the seed `seed`: the same seed and length give the same
/// bytes, and a shorter length gives a prefix.
pub fn seeded_content(seed: u64, len: usize) -> Vec<u8> {
    let mut bytes = vec![0u8; len];
    fastrand::Rng::with_seed(seed).fill(&mut bytes);
    bytes
}

/// `len` bytes that differ from part to part, so that a part sent twice or in
/// the wrong place changes the digest; always the same for the same length.
pub fn content(len: usize) -> Vec<u8> {
    seeded_content(0x9E37_79B9, len)
}

/// A new temporary directory holding the file `name` with `bytes`, and the
/// file's path; the directory goes when the [`TempDir`] is dropped.
pub fn temp_file(name: &str, bytes: &[u8]) -> (TempDir, PathBuf) {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let path = dir.path().join(name);
    std::fs::write(&path, bytes).expect("the test file is written");
    (dir, path)
}

/// The name `client.downloads().to_dir(..)` gives the file of `asset` (its
/// id, and the extension of its MIME type), derived the way the SDK derives it.
pub fn download_name(asset: &scenario_sdk::types::Asset) -> String {
    let extension = scenario_api::files::extension_for(&asset.mime_type).unwrap_or("bin");
    format!("{}.{extension}", asset.id)
}
