//! What the network said, made fit for an error message: a URL without its
//! secrets, one readable line of a body, an error and its sources on one
//! line, the server's request id, the code and message of an XML error. The
//! bottom of the crate with `error.rs`: it knows nothing of the rest.

use reqwest::Url;

/// The header that carries the server's id for a request.
pub(crate) const REQUEST_ID: &str = "x-request-id";

/// The value of the header `name`, when it is text.
pub(crate) fn header_str<'a>(
    headers: &'a reqwest::header::HeaderMap,
    name: &str,
) -> Option<&'a str> {
    headers.get(name).and_then(|v| v.to_str().ok())
}

/// The URL without its query (presigned signatures live there) or credentials.
pub(crate) fn redact(url: &Url) -> String {
    let mut url = url.clone();
    url.set_query(None);
    url.set_fragment(None);
    let _ = url.set_username("");
    let _ = url.set_password(None);
    url.to_string()
}

/// A readable line from a non-JSON error body (an HTML page from a proxy, say).
pub(crate) fn body_snippet(body: &[u8]) -> String {
    let text = String::from_utf8_lossy(body);
    let text = match (text.find("<title>"), text.find("</title>")) {
        (Some(start), Some(end)) if start + 7 <= end => text[start + 7..end].to_string(),
        _ => text.into_owned(),
    };
    let line: String = text.split_whitespace().collect::<Vec<_>>().join(" ");
    let mut short: String = line.chars().take(200).collect();
    if short.len() < line.len() {
        short.push('…');
    }
    if short.is_empty() {
        "the response had no body".to_owned()
    } else {
        short
    }
}

/// An error and its sources, as one line.
pub(crate) fn error_chain(err: &(dyn std::error::Error + 'static)) -> String {
    let mut out = err.to_string();
    let mut source = err.source();
    while let Some(s) = source {
        let text = s.to_string();
        if !out.contains(&text) {
            out.push_str(": ");
            out.push_str(&text);
        }
        source = s.source();
    }
    out
}

/// The code and message of an XML error body, as S3 and CDNs send them
/// (`<Error><Code>..</Code><Message>..</Message>..</Error>`), unescaped.
#[derive(Debug, Default, serde::Deserialize)]
pub(crate) struct XmlError {
    #[serde(rename = "Code")]
    pub(crate) code: Option<String>,
    #[serde(rename = "Message")]
    pub(crate) message: Option<String>,
}

impl XmlError {
    /// The error `body` holds; empty when it is not such a document.
    pub(crate) fn parse(body: &[u8]) -> Self {
        let parsed: Self = std::str::from_utf8(body)
            .ok()
            .and_then(|text| quick_xml::de::from_str(text).ok())
            .unwrap_or_default();
        let clean =
            |text: Option<String>| text.map(|t| t.trim().to_owned()).filter(|t| !t.is_empty());
        Self {
            code: clean(parsed.code),
            message: clean(parsed.message),
        }
    }
}

/// The base URL as it may be shown: a password in it becomes `***`. A URL that
/// does not parse loses everything between its scheme and the last `@`.
pub(crate) fn redact_base_url(url: &str) -> String {
    match reqwest::Url::parse(url) {
        Ok(mut parsed) => {
            if parsed.password().is_some() {
                let _ = parsed.set_password(Some("***"));
                return parsed.to_string().trim_end_matches('/').to_owned();
            }
            url.to_owned()
        }
        Err(_) => {
            let start = url.find("://").map_or(0, |at| at + 3);
            let authority_end = url[start..].find('/').map_or(url.len(), |at| start + at);
            match url[start..authority_end].rfind('@') {
                Some(at) => format!("{}***@{}", &url[..start], &url[start + at + 1..]),
                None => url.to_owned(),
            }
        }
    }
}
