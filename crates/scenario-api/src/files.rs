//! File names for the API's files: the extension a MIME type is saved with.
//! The SDK names downloads with it and the fake names its file URLs with it, so
//! that the two agree.

/// The usual extension (without the dot) of a file of MIME type `mime_type`:
/// the common one for the types assets have (`jpg` for `image/jpeg`, `glb` for
/// `model/gltf-binary`), else the first one `mime_guess` knows, else `None`.
/// Parameters (`; charset=...`) and case are ignored.
pub fn extension_for(mime_type: &str) -> Option<&'static str> {
    let essence = mime_type
        .split(';')
        .next()
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase();
    let common = match essence.as_str() {
        "image/png" => "png",
        "image/jpeg" | "image/jpg" => "jpg",
        "image/webp" => "webp",
        "image/gif" => "gif",
        "image/avif" => "avif",
        "image/svg+xml" => "svg",
        "image/tiff" => "tiff",
        "model/gltf-binary" => "glb",
        "model/gltf+json" => "gltf",
        "audio/mpeg" => "mp3",
        "audio/wav" | "audio/x-wav" | "audio/wave" => "wav",
        "video/mp4" => "mp4",
        "application/zip" => "zip",
        "application/json" => "json",
        "text/plain" => "txt",
        "application/pdf" => "pdf",
        other => {
            return mime_guess::get_mime_extensions_str(other)
                .and_then(|extensions| extensions.first().copied());
        }
    };
    Some(common)
}

#[cfg(test)]
mod tests {
    use super::extension_for;

    #[test]
    fn common_types_get_their_usual_extension() {
        assert_eq!(extension_for("image/jpeg"), Some("jpg"));
        assert_eq!(extension_for("Image/PNG; charset=binary"), Some("png"));
        assert_eq!(extension_for("model/gltf-binary"), Some("glb"));
        assert_eq!(extension_for("video/quicktime"), Some("mov"));
        assert_eq!(extension_for("application/x-unknown-thing"), None);
    }
}
