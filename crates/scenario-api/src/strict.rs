//! Strict decoding, for servers: the generated enums accept values newer than
//! the document (a client must keep decoding what a newer service sends), but a
//! server checking what it receives, such as scenario-mock, must refuse them.

use std::cell::Cell;

thread_local! {
    static STRICT_ENUMS: Cell<bool> = const { Cell::new(false) };
}

/// Runs `decode` with every open enum refusing values the document does not
/// list (an error naming the value and the documented ones), on this thread.
///
/// ```
/// use scenario_api::types::UploadKind;
///
/// let lenient: UploadKind = serde_json::from_str(r#""hologram""#).unwrap();
/// assert!(lenient.is_unrecognized());
/// let strict = scenario_api::strict_enums(|| serde_json::from_str::<UploadKind>(r#""hologram""#));
/// assert!(strict.unwrap_err().to_string().contains("hologram"));
/// ```
pub fn strict_enums<R>(decode: impl FnOnce() -> R) -> R {
    /// Restores the previous mode even if `decode` panics.
    struct Restore(bool);
    impl Drop for Restore {
        fn drop(&mut self) {
            STRICT_ENUMS.with(|strict| strict.set(self.0));
        }
    }
    let _restore = Restore(STRICT_ENUMS.with(|strict| strict.replace(true)));
    decode()
}

/// Whether the open enums decoding on this thread refuse unknown values (read
/// by the generated visitor).
#[doc(hidden)]
pub fn enums_are_strict() -> bool {
    STRICT_ENUMS.with(Cell::get)
}
