//! File names for the API's files: the extension a MIME type is saved with.
//! The SDK names downloads with it and the fake names its file URLs with it, so
//! that the two agree.

use crate::types::DownloadTargetFormat;

/// The extension (without the dot) of a file of MIME type `mime_type`, among
/// those `mime_guess` knows for it: the one the document names as a download
/// format (`png`, `glb`, `mp4`, ...), else one that maps back to the same type,
/// else the first; `None` for a type `mime_guess` does not know. Parameters
/// (`; charset=...`) and case are ignored.
pub fn extension_for(mime_type: &str) -> Option<&'static str> {
    let essence = mime_type
        .split(';')
        .next()
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase();
    // mime_guess lists extensions alphabetically, and every source-code
    // extension it knows maps back to plain text: `asm` would come first.
    if essence == "text/plain" {
        return Some("txt");
    }
    let candidates = mime_guess::get_mime_extensions_str(&essence)?;
    candidates
        .iter()
        .copied()
        .find(|ext| DownloadTargetFormat::VALUES.contains(ext))
        .or_else(|| {
            candidates
                .iter()
                .copied()
                .find(|ext| mime_guess::from_ext(ext).first_raw() == Some(essence.as_str()))
        })
        .or_else(|| candidates.first().copied())
}

#[cfg(test)]
mod tests {
    use super::extension_for;

    #[test]
    fn files_get_the_documents_format_names_or_a_round_tripping_extension() {
        assert_eq!(extension_for("Image/PNG; charset=binary"), Some("png"));
        assert_eq!(extension_for("model/gltf-binary"), Some("glb"));
        assert_eq!(extension_for("video/mp4"), Some("mp4"));
        assert_eq!(extension_for("audio/mpeg"), Some("mp3"));
        assert_eq!(extension_for("text/plain"), Some("txt"));
        assert_eq!(extension_for("video/quicktime"), Some("mov"));
        let jpeg = extension_for("image/jpeg").unwrap();
        assert!(jpeg == "jpeg" || jpeg == "jpg", "{jpeg}");
        assert_eq!(extension_for("application/x-unknown-thing"), None);
    }
}
