//! Wall-clock time as the fake sees it, and the ISO 8601 strings the API uses.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// The last millisecond `humantime` can format (the end of year 9999).
const MAX_MS: u64 = 253_402_300_799_999;

/// The fake's wall clock: the system clock plus an offset tests can move forward
/// (see `MockServer::advance_clock`), so part URLs can expire without sleeping.
#[derive(Debug, Default)]
pub(crate) struct Clock {
    offset_ms: AtomicU64,
}

impl Clock {
    /// Milliseconds since the Unix epoch, offset included.
    pub(crate) fn now_ms(&self) -> u64 {
        let system = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX));
        system
            .saturating_add(self.offset_ms.load(Ordering::Relaxed))
            .min(MAX_MS)
    }

    /// Moves the clock forward.
    pub(crate) fn advance(&self, by: Duration) {
        let ms = u64::try_from(by.as_millis()).unwrap_or(u64::MAX);
        // fetch_update never fails with a closure that always returns Some.
        let _ = self
            .offset_ms
            .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |old| {
                Some(old.saturating_add(ms))
            });
    }
}

/// Formats milliseconds since the epoch like the API does: `2024-05-01T10:00:00.000Z`.
pub(crate) fn iso(ms: u64) -> String {
    humantime::format_rfc3339_millis(UNIX_EPOCH + Duration::from_millis(ms.min(MAX_MS))).to_string()
}

/// Parses an ISO 8601 date as a client would send it (`2024-05-01`,
/// `2024-05-01T10:00:00Z`, `2024-05-01T10:00:00.123Z`); UTC only.
pub(crate) fn parse_iso(value: &str) -> Option<u64> {
    let value = value.trim();
    let parsed = if value.len() == 10 {
        humantime::parse_rfc3339(&format!("{value}T00:00:00Z"))
    } else {
        humantime::parse_rfc3339_weak(value)
    };
    let since = parsed.ok()?.duration_since(UNIX_EPOCH).ok()?;
    u64::try_from(since.as_millis()).ok()
}

/// Milliseconds in a duration, saturating.
pub(crate) fn millis(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_and_parses_round_trip() {
        let ms = 1_714_557_600_123;
        assert_eq!(iso(ms), "2024-05-01T10:00:00.123Z");
        assert_eq!(parse_iso("2024-05-01T10:00:00.123Z"), Some(ms));
        assert_eq!(parse_iso("2024-05-01T10:00:00Z"), Some(ms - 123));
        assert_eq!(parse_iso("2024-05-01"), Some(1_714_521_600_000));
        assert_eq!(parse_iso("yesterday"), None);
        assert_eq!(parse_iso("2024-13-01T00:00:00Z"), None);
        assert_eq!(iso(u64::MAX), "9999-12-31T23:59:59.999Z");
    }

    #[test]
    fn advancing_moves_now_forward() {
        let clock = Clock::default();
        let before = clock.now_ms();
        clock.advance(Duration::from_secs(3600));
        assert!(clock.now_ms() >= before + 3_600_000);
    }
}
