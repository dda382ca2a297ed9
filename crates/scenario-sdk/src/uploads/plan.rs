//! Cutting a file into parts the storage accepts.
//!
//! The part URLs point at S3-style storage: every part but the last must be at
//! least 5 MiB, an upload has at most 10 000 parts, and one part is at most
//! 5 GiB. Within those rules, parts of about 8 MiB (the service's guide aims at
//! about 7 MB) keep retries cheap and memory small; huge files get larger parts
//! so that they still fit in 10 000.

use crate::error::{Error, Result};

const MIB: u64 = 1024 * 1024;

/// S3's smallest part (all but the last).
pub(crate) const MIN_PART_SIZE: u64 = 5 * MIB;
/// S3's largest number of parts.
pub(crate) const MAX_PARTS: u32 = 10_000;
/// S3's largest part.
pub(crate) const MAX_PART_SIZE: u64 = 5 * 1024 * MIB;
/// The part size chosen when the file is small enough for it.
pub(crate) const DEFAULT_PART_SIZE: u64 = 8 * MIB;

/// How a file of `file_size` bytes is cut: `parts` parts of `part_size` bytes,
/// the last one holding the remainder.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct PartPlan {
    pub(crate) file_size: u64,
    pub(crate) part_size: u64,
    pub(crate) parts: u32,
}

impl PartPlan {
    /// The plan for `file_size` bytes: `requested` part size if given (checked
    /// against the rules), else the default grown as needed. `min_part_size` is
    /// the storage's floor, S3's 5 MiB unless a test server says otherwise.
    pub(crate) fn new(file_size: u64, requested: Option<u64>, min_part_size: u64) -> Result<Self> {
        if file_size == 0 {
            return Err(Error::InvalidInput(
                "the content is empty: the service needs at least one byte".into(),
            ));
        }
        let min_part_size = min_part_size.max(1);
        let part_size = match requested {
            Some(size) => checked(file_size, size, min_part_size)?,
            None => automatic(file_size, min_part_size)?,
        };
        let parts = u32::try_from(file_size.div_ceil(part_size)).unwrap_or(u32::MAX);
        Ok(Self {
            file_size,
            part_size,
            parts,
        })
    }

    /// The byte range of part `number` (1-based): its offset and its length.
    pub(crate) fn range(&self, number: u32) -> (u64, u64) {
        let offset = u64::from(number.saturating_sub(1)) * self.part_size;
        let len = self.part_size.min(self.file_size.saturating_sub(offset));
        (offset, len)
    }
}

fn automatic(file_size: u64, min_part_size: u64) -> Result<u64> {
    let mut part_size = DEFAULT_PART_SIZE.max(min_part_size);
    let smallest_that_fits = file_size.div_ceil(u64::from(MAX_PARTS));
    if smallest_that_fits > part_size {
        // Whole MiBs keep the numbers readable in logs; the rounding costs nothing.
        part_size = smallest_that_fits.next_multiple_of(MIB);
    }
    if part_size > MAX_PART_SIZE {
        return Err(Error::InvalidInput(format!(
            "the content is {file_size} bytes, more than the storage accepts \
             ({MAX_PARTS} parts of at most {MAX_PART_SIZE} bytes)"
        )));
    }
    Ok(part_size)
}

fn checked(file_size: u64, part_size: u64, min_part_size: u64) -> Result<u64> {
    if part_size == 0 {
        return Err(Error::InvalidInput(
            "part_size must be at least 1 byte".into(),
        ));
    }
    let parts = file_size.div_ceil(part_size);
    if parts > 1 && part_size < min_part_size {
        return Err(Error::InvalidInput(format!(
            "part_size {part_size} is below the storage's minimum of {min_part_size} bytes \
             (every part but the last must be at least that large); use at least \
             {min_part_size}, or leave part_size unset to have it chosen"
        )));
    }
    if parts > u64::from(MAX_PARTS) {
        let needed = file_size.div_ceil(u64::from(MAX_PARTS));
        return Err(Error::InvalidInput(format!(
            "part_size {part_size} cuts the {file_size} bytes into {parts} parts, \
             more than the storage's {MAX_PARTS}; use a part size of at least {needed} bytes, \
             or leave part_size unset to have it chosen"
        )));
    }
    if part_size.min(file_size) > MAX_PART_SIZE {
        return Err(Error::InvalidInput(format!(
            "part_size {part_size} is above the storage's maximum of {MAX_PART_SIZE} bytes per part"
        )));
    }
    Ok(part_size)
}

#[cfg(test)]
mod tests {
    use super::*;

    const GIB: u64 = 1024 * MIB;

    fn auto(size: u64) -> PartPlan {
        PartPlan::new(size, None, MIN_PART_SIZE).unwrap()
    }

    #[test]
    fn small_files_go_in_one_part() {
        let plan = auto(1);
        assert_eq!((plan.parts, plan.range(1)), (1, (0, 1)));
        let plan = auto(DEFAULT_PART_SIZE);
        assert_eq!((plan.parts, plan.range(1)), (1, (0, DEFAULT_PART_SIZE)));
    }

    #[test]
    fn medium_files_use_eight_mib_parts_and_a_shorter_last_one() {
        let plan = auto(20 * MIB + 3);
        assert_eq!(plan.part_size, 8 * MIB);
        assert_eq!(plan.parts, 3);
        assert_eq!(plan.range(1), (0, 8 * MIB));
        assert_eq!(plan.range(2), (8 * MIB, 8 * MIB));
        assert_eq!(plan.range(3), (16 * MIB, 4 * MIB + 3));
    }

    #[test]
    fn huge_files_get_larger_parts_to_stay_within_ten_thousand() {
        for size in [
            80 * GIB,
            100 * GIB,
            100 * GIB + 1,
            1024 * GIB,
            10_000 * MAX_PART_SIZE,
        ] {
            let plan = auto(size);
            assert!(plan.parts <= MAX_PARTS, "{size}: {plan:?}");
            assert!(plan.part_size >= MIN_PART_SIZE, "{size}: {plan:?}");
            assert!(plan.part_size <= MAX_PART_SIZE, "{size}: {plan:?}");
            let (offset, len) = plan.range(plan.parts);
            assert_eq!(offset + len, size, "{size}: the parts cover the file");
            assert!(len > 0, "{size}: no empty last part");
        }
        assert_eq!(auto(100 * GIB).part_size, 11 * MIB);
        assert!(PartPlan::new(10_000 * MAX_PART_SIZE + 1, None, MIN_PART_SIZE).is_err());
    }

    #[test]
    fn an_explicit_part_size_is_checked_against_the_rules() {
        let plan = PartPlan::new(12 * MIB, Some(6 * MIB), MIN_PART_SIZE).unwrap();
        assert_eq!((plan.part_size, plan.parts), (6 * MIB, 2));
        // Below the floor is fine when there is only one part (no "all but the last").
        let plan = PartPlan::new(1000, Some(1024), MIN_PART_SIZE).unwrap();
        assert_eq!((plan.parts, plan.range(1)), (1, (0, 1000)));

        let err = PartPlan::new(12 * MIB, Some(MIB), MIN_PART_SIZE).unwrap_err();
        assert!(
            err.to_string().contains("below the storage's minimum"),
            "{err}"
        );
        let err = PartPlan::new(60 * GIB, Some(MIN_PART_SIZE), MIN_PART_SIZE).unwrap_err();
        assert!(
            err.to_string().contains("more than the storage's 10000"),
            "{err}"
        );
        assert!(PartPlan::new(10, Some(0), MIN_PART_SIZE).is_err());
        assert!(PartPlan::new(6 * GIB, Some(6 * GIB), MIN_PART_SIZE).is_err());
    }

    #[test]
    fn a_lower_floor_allows_small_parts_but_not_too_many() {
        let plan = PartPlan::new(10, Some(3), 1).unwrap();
        assert_eq!(plan.parts, 4);
        assert_eq!(plan.range(4), (9, 1));
        assert!(PartPlan::new(10_001, Some(1), 1).is_err());
        assert_eq!(PartPlan::new(10_000, Some(1), 1).unwrap().parts, 10_000);
    }

    #[test]
    fn empty_content_is_refused() {
        let err = PartPlan::new(0, None, MIN_PART_SIZE).unwrap_err();
        assert!(err.to_string().contains("at least one byte"), "{err}");
    }
}
