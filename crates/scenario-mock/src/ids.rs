//! Identifiers shaped like the service's (`asset_GTrL3mq4SXWyMxkOHRxlpw`).

use fastrand::Rng;

const BASE62: &[u8] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
const HEX: &[u8] = b"0123456789abcdef";

/// The ids a server makes, from a seeded generator so the same seed and the same
/// requests give the same ids.
#[derive(Debug)]
pub(crate) struct Ids(Rng);

impl Ids {
    pub(crate) fn with_seed(seed: u64) -> Self {
        Self(Rng::with_seed(seed))
    }

    /// A new id with the service's shape (`asset_...`, `upload_...`).
    pub(crate) fn next(&mut self, prefix: &str) -> String {
        prefixed(&mut self.0, prefix)
    }
}

/// `prefix_` followed by 22 base62 characters.
pub(crate) fn prefixed(rng: &mut Rng, prefix: &str) -> String {
    let mut id = String::with_capacity(prefix.len() + 23);
    id.push_str(prefix);
    id.push('_');
    id.extend((0..22).map(|_| char::from(BASE62[rng.usize(..BASE62.len())])));
    id
}

/// `n` lowercase hexadecimal characters (user ids are 32 of them).
pub(crate) fn hex(rng: &mut Rng, n: usize) -> String {
    (0..n)
        .map(|_| char::from(HEX[rng.usize(..HEX.len())]))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_have_the_service_shape() {
        let mut rng = Rng::with_seed(1);
        let id = prefixed(&mut rng, "asset");
        assert_eq!(id.len(), "asset_".len() + 22);
        assert!(
            id["asset_".len()..]
                .chars()
                .all(|c| c.is_ascii_alphanumeric())
        );
        let user = hex(&mut rng, 32);
        assert_eq!(user.len(), 32);
        assert!(user.chars().all(|c| c.is_ascii_hexdigit()));
    }
}
