//! What goes to stdout: tables and key-value blocks for people, one JSON object
//! per line for scripts.
//!
//! Text from the server is shown with its control characters replaced, so that
//! no value can move the cursor or recolour the terminal; JSON escapes them.
//! [`is_unsafe`] decides which characters, for every stream: stdout's tables,
//! key-value blocks and JSON lines, and stderr's errors, hints and progress.

use std::io::{self, Write};

use indicatif::HumanBytes;
use scenario_sdk::types::{Asset, Upload, UploadKind};
use serde::Serialize;

/// Writes `value` as one line of JSON, with every [`is_unsafe`] character
/// escaped (serde_json escapes only those below U+0020 by itself).
pub fn json_line(out: &mut impl Write, value: &impl Serialize) -> io::Result<()> {
    let mut serializer = serde_json::Serializer::with_formatter(&mut *out, SafeJson);
    value.serialize(&mut serializer).map_err(io::Error::from)?;
    out.write_all(b"\n")
}

/// Writes JSON text received from the server (valid JSON, as serde_json's
/// `RawValue` guarantees) as one line: the whitespace between tokens is
/// dropped and every [`is_unsafe`] character in a string becomes its `\uXXXX`
/// escape, which stands for the same character. Everything else, numbers as
/// written and keys in their order included, is copied byte for byte.
pub fn raw_json_line(out: &mut impl Write, json: &str) -> io::Result<()> {
    let bytes = json.as_bytes();
    let mut in_string = false;
    let mut start = 0;
    let mut at = 0;
    // Byte by byte through a table: only the bytes that may matter where the
    // scan is (in a string or between tokens) stop it; each is ASCII or a
    // lead byte, so at a character boundary, and the character there is
    // decoded only then.
    while at < bytes.len() {
        let stops = if in_string {
            &STRING_STOPS
        } else {
            &TOKEN_STOPS
        };
        if !stops[usize::from(bytes[at])] {
            at += 1;
            if in_string {
                at = plain_ascii_end(bytes, at);
            }
            continue;
        }
        // Most stops are ASCII (quotes, whitespace): no decoding for those.
        let c = match bytes[at] {
            ascii @ 0..0x80 => char::from(ascii),
            _ => match json[at..].chars().next() {
                Some(c) => c,
                None => break,
            },
        };
        if in_string && c == '\\' {
            // The escaped character is ASCII in valid JSON (`\"`, `\\`, `\n`,
            // `\u`...): both are kept as they are.
            at += 2;
            continue;
        }
        let skip = if in_string {
            in_string = c != '"';
            is_unsafe(c)
        } else {
            in_string = c == '"';
            // JSON's whitespace: space, tab, line feed, carriage return.
            matches!(c, ' ' | '\t' | '\n' | '\r')
        };
        if skip {
            out.write_all(&bytes[start..at])?;
            if in_string {
                // Every unsafe character is in the BMP: one \u escape each.
                write!(out, "\\u{:04x}", u32::from(c))?;
            }
            start = at + c.len_utf8();
        }
        at += c.len_utf8();
    }
    out.write_all(&bytes[start..])?;
    out.write_all(b"\n")
}

/// Where the run of string bytes from `at` that [`raw_json_line`] copies as
/// they are ends, to within 8 bytes: eight at a time, it skips words of
/// ASCII with no control, quote or backslash (each is a character, so the
/// scan stays at a boundary); the byte loop takes the rest.
fn plain_ascii_end(bytes: &[u8], mut at: usize) -> usize {
    const ONES: u64 = u64::from_ne_bytes([0x01; 8]);
    const HIGHS: u64 = u64::from_ne_bytes([0x80; 8]);
    // Whether a byte of `word` is zero (exact: no byte is missed).
    let has_zero = |word: u64| word.wrapping_sub(ONES) & !word & HIGHS != 0;
    while let Some(chunk) = bytes.get(at..).and_then(<[u8]>::first_chunk::<8>) {
        let word = u64::from_ne_bytes(*chunk);
        let stop = word & HIGHS != 0 // beyond ASCII
            || word.wrapping_sub(ONES * 0x20) & !word & HIGHS != 0 // a control below 0x20
            || has_zero(word ^ (ONES * u64::from(b'"')))
            || has_zero(word ^ (ONES * u64::from(b'\\')))
            || has_zero(word ^ (ONES * 0x7f));
        if stop {
            break;
        }
        at += 8;
    }
    at
}

/// The bytes [`raw_json_line`] looks at inside a string: its end, an escape,
/// the controls, and the UTF-8 lead bytes of the [`is_unsafe`] characters
/// beyond ASCII (C1 controls: 0xC2; U+061C: 0xD8; U+200E to U+2069: 0xE2).
static STRING_STOPS: [bool; 256] = {
    let mut stops = [false; 256];
    let mut b = 0;
    while b < 0x20 {
        stops[b] = true;
        b += 1;
    }
    stops[b'"' as usize] = true;
    stops[b'\\' as usize] = true;
    stops[0x7f] = true;
    stops[0xc2] = true;
    stops[0xd8] = true;
    stops[0xe2] = true;
    stops
};

/// The bytes [`raw_json_line`] looks at between tokens: JSON's whitespace
/// and the start of a string.
static TOKEN_STOPS: [bool; 256] = {
    let mut stops = [false; 256];
    stops[b' ' as usize] = true;
    stops[b'\t' as usize] = true;
    stops[b'\n' as usize] = true;
    stops[b'\r' as usize] = true;
    stops[b'"' as usize] = true;
    stops
};

/// Characters that must not reach a terminal as they are: control characters
/// (C0 with ESC and newlines, DEL, C1 with the one-byte CSI), which start
/// ANSI/OSC escape sequences or move the cursor, and the bidirectional
/// formatting characters, which reorder what is shown.
pub fn is_unsafe(c: char) -> bool {
    c.is_control()
        || matches!(
            c,
            '\u{061c}' | '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}'
        )
}

/// `text` with every [`is_unsafe`] character (newlines, escapes, ...)
/// replaced by `?`: what is left of an escape sequence is inert text.
pub fn printable(text: &str) -> String {
    text.chars()
        .map(|c| if is_unsafe(c) { '?' } else { c })
        .collect()
}

/// [`printable`] line by line, for messages of several lines of our own.
pub fn printable_lines(text: &str) -> String {
    text.split('\n')
        .map(printable)
        .collect::<Vec<_>>()
        .join("\n")
}

/// serde_json's compact output, with [`is_unsafe`] characters as `\uXXXX`.
struct SafeJson;

impl serde_json::ser::Formatter for SafeJson {
    fn write_string_fragment<W: ?Sized + Write>(
        &mut self,
        writer: &mut W,
        fragment: &str,
    ) -> io::Result<()> {
        let mut start = 0;
        for (at, c) in fragment.char_indices() {
            if is_unsafe(c) {
                writer.write_all(&fragment.as_bytes()[start..at])?;
                // Every unsafe character is in the BMP: one \u escape each.
                write!(writer, "\\u{:04x}", u32::from(c))?;
                start = at + c.len_utf8();
            }
        }
        writer.write_all(&fragment.as_bytes()[start..])
    }
}

const ASSET_HEADER: [&str; 6] = ["ID", "KIND", "STATUS", "PRIVACY", "CREATED", "MIME TYPE"];

/// A table of assets written page by page: the widths of the columns are set by
/// the header and the first page, so later pages line up under it (a longer
/// value later on only shifts its own row).
#[derive(Debug, Default)]
pub struct AssetTable {
    widths: Option<[usize; 5]>,
}

impl AssetTable {
    /// A table that has printed nothing yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// Writes the rows of `assets`, preceded by the header the first time any
    /// asset is written.
    pub fn write_page(&mut self, out: &mut impl Write, assets: &[Asset]) -> io::Result<()> {
        if assets.is_empty() {
            return Ok(());
        }
        let rows: Vec<[String; 6]> = assets.iter().map(asset_row).collect();
        let widths = match self.widths {
            Some(widths) => widths,
            None => {
                let mut widths = [0; 5];
                for (i, width) in widths.iter_mut().enumerate() {
                    *width = rows
                        .iter()
                        .map(|row| row[i].chars().count())
                        .chain([ASSET_HEADER[i].len()])
                        .max()
                        .unwrap_or(0);
                }
                let header = ASSET_HEADER.map(str::to_owned);
                write_row(out, &widths, &header)?;
                self.widths = Some(widths);
                widths
            }
        };
        for row in &rows {
            write_row(out, &widths, row)?;
        }
        Ok(())
    }
}

fn asset_row(asset: &Asset) -> [String; 6] {
    [
        printable(&asset.id),
        printable(asset.kind.as_str()),
        printable(asset.status.as_str()),
        printable(asset.privacy.as_str()),
        printable(&asset.created_at),
        printable(&asset.mime_type),
    ]
}

/// Every cell but the last padded to its column's width, two spaces apart; no
/// trailing spaces.
fn write_row(out: &mut impl Write, widths: &[usize; 5], row: &[String; 6]) -> io::Result<()> {
    let mut line = String::new();
    for (cell, width) in row.iter().zip(widths) {
        line.push_str(cell);
        let pad = width.saturating_sub(cell.chars().count()) + 2;
        line.extend(std::iter::repeat_n(' ', pad));
    }
    line.push_str(&row[5]);
    writeln!(out, "{}", line.trim_end())
}

/// Writes an upload as aligned `label  value` lines, for people: what it is,
/// where it stands, and what it created.
pub fn write_upload(out: &mut impl Write, upload: &Upload) -> io::Result<()> {
    let mut fields: Vec<(&str, String)> = vec![
        ("upload", upload.id.clone()),
        ("status", upload.status.to_string()),
        ("kind", upload.kind.to_string()),
        ("file", upload.file_name.clone()),
    ];
    if let Some(size) = upload.file_size {
        let size = if size < 1024 {
            format!("{size} bytes")
        } else {
            format!("{} ({size} bytes)", HumanBytes(size))
        };
        fields.push(("size", size));
    }
    if let Some(url) = &upload.url {
        fields.push(("url", url.clone()));
    }
    if let Some(entity) = upload.entity_id.as_ref().filter(|id| !id.is_empty()) {
        let label = if upload.kind == UploadKind::Model {
            "model"
        } else {
            "asset"
        };
        fields.push((label, entity.clone()));
    }
    if let Some(message) = upload.error_message.as_ref().filter(|m| !m.is_empty()) {
        fields.push(("error", message.clone()));
    }
    fields.push(("created", upload.created_at.clone()));
    fields.push(("updated", upload.updated_at.clone()));

    let width = fields
        .iter()
        .map(|(label, _)| label.len())
        .max()
        .unwrap_or(0);
    for (label, value) in fields {
        writeln!(out, "{label:<width$}  {}", printable(&value))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Built from JSON, so that a field added to the document needs no change here.
    fn asset(id: &str, kind: &str, mime: &str) -> Asset {
        serde_json::from_value(serde_json::json!({
            "id": id,
            "authorId": "author",
            "ownerId": "proj",
            "collectionIds": [],
            "createdAt": "2024-01-02T03:04:05.678Z",
            "updatedAt": "2024-01-02T03:04:05.678Z",
            "editCapabilities": [],
            "kind": kind,
            "metadata": {"kind": "image", "type": "uploaded"},
            "mimeType": mime,
            "privacy": "public",
            "properties": {"size": 1},
            "source": "uploaded",
            "status": "success",
            "tags": [],
            "url": "https://example.invalid/a",
        }))
        .unwrap()
    }

    fn text(bytes: Vec<u8>) -> String {
        String::from_utf8(bytes).unwrap()
    }

    #[test]
    fn columns_line_up_across_pages() {
        let mut table = AssetTable::new();
        let mut out = Vec::new();
        table.write_page(&mut out, &[]).unwrap();
        assert!(out.is_empty(), "no header before the first asset");
        table
            .write_page(&mut out, &[asset("asset_1", "image", "image/png")])
            .unwrap();
        table
            .write_page(&mut out, &[asset("asset_2", "3d", "model/gltf-binary")])
            .unwrap();
        assert_eq!(
            text(out),
            "\
ID       KIND   STATUS   PRIVACY  CREATED                   MIME TYPE
asset_1  image  success  public   2024-01-02T03:04:05.678Z  image/png
asset_2  3d     success  public   2024-01-02T03:04:05.678Z  model/gltf-binary
"
        );
    }

    #[test]
    fn server_text_cannot_drive_the_terminal() {
        let mut out = Vec::new();
        AssetTable::new()
            .write_page(
                &mut out,
                &[asset("asset_\u{1b}[2J", "new\nkind", "image/png\r")],
            )
            .unwrap();
        let out = text(out);
        assert_eq!(out.lines().count(), 2);
        assert!(!out.contains('\u{1b}'));
        assert!(out.contains("asset_?[2J"));
        assert!(out.contains("new?kind"));
    }

    #[test]
    fn json_lines_escape_what_could_drive_the_terminal() {
        let mut out = Vec::new();
        let sneaky = asset("asset_\u{1b}]0;owned\u{7}", "x\u{9b}2J\u{7f}", "a\u{202e}b");
        json_line(&mut out, &sneaky).unwrap();
        let out = text(out);
        assert!(!out.trim_end().chars().any(is_unsafe), "{out:?}");
        assert!(out.contains(r"\u009b") && out.contains(r"\u202e"), "{out}");
        let value: serde_json::Value = serde_json::from_str(&out).unwrap();
        assert_eq!(
            value["id"], "asset_\u{1b}]0;owned\u{7}",
            "the value is kept exactly"
        );
        assert_eq!(printable_lines("a\u{1b}[31m\nb\r"), "a?[31m\nb?");
    }

    /// What [`raw_json_line`] writes, character by character: the reference
    /// the fast scan must agree with.
    fn reference_line(json: &str) -> String {
        let mut out = String::new();
        let mut in_string = false;
        let mut chars = json.chars();
        while let Some(c) = chars.next() {
            if in_string {
                if c == '\\' {
                    out.push(c);
                    out.extend(chars.next());
                } else if is_unsafe(c) {
                    out.push_str(&format!("\\u{:04x}", u32::from(c)));
                } else {
                    in_string = c != '"';
                    out.push(c);
                }
            } else if !matches!(c, ' ' | '\t' | '\n' | '\r') {
                in_string = c == '"';
                out.push(c);
            }
        }
        out.push('\n');
        out
    }

    #[test]
    fn raw_json_lines_agree_with_the_character_by_character_reference() {
        let pieces = [
            "a",
            "plain ascii text ",
            "\"",
            "\\",
            "\u{1b}[31m",
            "\u{7f}",
            "\u{85}",
            "\u{9b}",
            "\u{61c}",
            "\u{200f}",
            "\u{202e}",
            "\u{2069}",
            "é",
            "日本",
            "\u{2028}",
            "\u{1f600}",
            "\n",
            "\t",
            "0123456789abcdef",
        ];
        let mut rng = fastrand::Rng::with_seed(7);
        for _ in 0..2000 {
            let mut sample = String::new();
            for _ in 0..rng.usize(0..12) {
                sample.push_str(pieces[rng.usize(..pieces.len())]);
            }
            let value = serde_json::json!({
                "id": sample,
                "list": [sample.clone(), 1, {"k": sample.clone()}],
                "n": 1.5,
            });
            for json in [
                serde_json::to_string(&value).unwrap(),
                serde_json::to_string_pretty(&value).unwrap(),
            ] {
                let mut out = Vec::new();
                raw_json_line(&mut out, &json).unwrap();
                let out = text(out);
                assert_eq!(out, reference_line(&json), "{json:?}");
                let back: serde_json::Value = serde_json::from_str(&out).unwrap();
                assert_eq!(back, value);
            }
        }
    }

    #[test]
    fn raw_json_is_one_safe_line_with_its_values_as_sent() {
        let sent = "{\n  \"id\": \"a b\\\"\\\\\",\n\t\"fileSize\": 1024, \"x\": 1.50e3,\r\n  \
                    \"n\": {\"z\": [1, 2], \"e\": \"\\u001b]0;\u{7f}\u{202e}\"} }";
        let mut out = Vec::new();
        raw_json_line(&mut out, sent).unwrap();
        let out = text(out);
        assert_eq!(
            out,
            "{\"id\":\"a b\\\"\\\\\",\"fileSize\":1024,\"x\":1.50e3,\
             \"n\":{\"z\":[1,2],\"e\":\"\\u001b]0;\\u007f\\u202e\"}}\n"
        );
        let before: serde_json::Value = serde_json::from_str(sent).unwrap();
        let after: serde_json::Value = serde_json::from_str(&out).unwrap();
        assert_eq!(before, after, "the same values");
    }

    #[test]
    fn raw_json_keeps_escapes_and_text_beyond_ascii_and_drops_only_what_it_must() {
        let sent = "{ \"a\" : \"ends in a backslash\\\\\", \"b\":\"\\\"quoted\\\" 日本 é\u{85}\u{61c}\u{200f}\u{2069}\",\n\
                    \"c\" : [ \"\\u0041 \", true , null ] }";
        let mut out = Vec::new();
        raw_json_line(&mut out, sent).unwrap();
        let out = text(out);
        assert_eq!(
            out,
            "{\"a\":\"ends in a backslash\\\\\",\"b\":\"\\\"quoted\\\" 日本 é\\u0085\\u061c\\u200f\\u2069\",\
             \"c\":[\"\\u0041 \",true,null]}\n"
        );
        assert!(!out.trim_end().chars().any(is_unsafe), "{out:?}");
        let before: serde_json::Value = serde_json::from_str(sent).unwrap();
        let after: serde_json::Value = serde_json::from_str(&out).unwrap();
        assert_eq!(before, after, "the same values");
    }

    #[test]
    fn json_lines_hold_the_asset_as_sent() {
        let mut out = Vec::new();
        let original = asset("asset_1", "image-hdr", "image/vnd.radiance");
        json_line(&mut out, &original).unwrap();
        let out = text(out);
        assert!(out.ends_with('\n'));
        assert_eq!(out.lines().count(), 1);
        let value: serde_json::Value = serde_json::from_str(&out).unwrap();
        assert_eq!(value["id"], "asset_1");
        assert_eq!(value["kind"], "image-hdr");
        assert_eq!(value["mimeType"], "image/vnd.radiance");
    }

    #[test]
    fn uploads_show_what_they_created() {
        let upload: Upload = serde_json::from_value(serde_json::json!({
            "id": "upload_1",
            "authorId": "author",
            "ownerId": "proj",
            "contentType": "image/png",
            "createdAt": "2024-01-02T03:04:05.678Z",
            "updatedAt": "2024-01-02T03:04:06.000Z",
            "entityId": "asset_new",
            "fileName": "hero.png",
            "fileSize": 2048,
            "kind": "image",
            "parts": [],
            "partsCount": 1,
            "source": "multipart",
            "status": "complete",
        }))
        .unwrap();
        let mut out = Vec::new();
        write_upload(&mut out, &upload).unwrap();
        assert_eq!(
            text(out),
            "\
upload   upload_1
status   complete
kind     image
file     hero.png
size     2.00 KiB (2048 bytes)
asset    asset_new
created  2024-01-02T03:04:05.678Z
updated  2024-01-02T03:04:06.000Z
"
        );
    }
}
