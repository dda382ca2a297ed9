//! How API requests say who sends them: HTTP Basic with an API key and secret,
//! a bearer token (a JWT), or the public access token that listings of public
//! assets accept; and the extra headers a caller adds to API requests.
//!
//! Every value here is a secret or may hold one: header values are marked
//! sensitive, `Debug` never shows them, and errors name the setting, never the
//! value.

use std::fmt;

use base64::Engine as _;
use reqwest::header::{HeaderMap, HeaderName, HeaderValue};
use secrecy::{ExposeSecret, SecretString};

use crate::error::{Error, Result};

/// The environment variable holding a bearer token (a JWT), used when no API
/// key and secret are set.
pub const ENV_JWT: &str = "SCENARIO_SDK_JWT";

/// The environment variable holding extra headers for API requests, one
/// `Name: value` per line.
pub const ENV_CUSTOM_HEADERS: &str = "SCENARIO_CUSTOM_HEADERS";

/// The `Authorization` value of public access (listings of public assets).
const PUBLIC_TOKEN: &str = "public-auth-token";

/// Who the requests are sent as.
#[derive(Clone)]
pub(crate) enum Credentials {
    /// HTTP Basic: the API key as user name, the secret as password.
    Basic { key: String, secret: SecretString },
    /// `Authorization: Bearer <token>`.
    Bearer(SecretString),
    /// No account: only public assets can be listed.
    Public,
}

impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            // The key is not a secret, and it tells clients apart.
            Credentials::Basic { key, .. } => f
                .debug_struct("Basic")
                .field("api_key", key)
                .field("api_secret", &"<redacted>")
                .finish(),
            Credentials::Bearer(_) => f.debug_tuple("Bearer").field(&"<redacted>").finish(),
            Credentials::Public => f.write_str("Public"),
        }
    }
}

impl Credentials {
    /// Checks the values (without ever echoing them) and makes the header.
    pub(crate) fn authorization(&self) -> Result<HeaderValue> {
        let text = match self {
            Credentials::Basic { key, secret } => {
                let secret = secret.expose_secret();
                for (what, value) in [("key", key.as_str()), ("secret", secret)] {
                    if value.is_empty() {
                        return Err(Error::InvalidInput(format!(
                            "the API {what} is empty; set {} and {}",
                            crate::ENV_API_KEY,
                            crate::ENV_API_SECRET
                        )));
                    }
                    // Base64 would let anything through, so a stray newline (a key
                    // read from a file) would only show up later as a puzzling 401.
                    if value.chars().any(char::is_control) {
                        return Err(Error::InvalidInput(format!(
                            "the API {what} contains a control character (a trailing newline?); \
                             remove it"
                        )));
                    }
                }
                if key.contains(':') {
                    return Err(Error::InvalidInput(
                        "the API key cannot contain ':' (HTTP Basic auth separates key and \
                         secret with it)"
                            .into(),
                    ));
                }
                let token =
                    base64::engine::general_purpose::STANDARD.encode(format!("{key}:{secret}"));
                format!("Basic {token}")
            }
            Credentials::Bearer(token) => {
                let token = token.expose_secret().trim();
                if token.is_empty() || token.chars().any(|c| c.is_control() || c == ' ') {
                    return Err(Error::InvalidInput(format!(
                        "the bearer token is empty or contains spaces or control characters; \
                         check {ENV_JWT} or ClientBuilder::jwt"
                    )));
                }
                format!("Bearer {token}")
            }
            Credentials::Public => PUBLIC_TOKEN.to_owned(),
        };
        let mut value = HeaderValue::from_str(&text).map_err(|_| {
            Error::InvalidInput(
                "the credentials contain characters that cannot go in a header".into(),
            )
        })?;
        value.set_sensitive(true);
        Ok(value)
    }
}

/// Headers the SDK sets itself: a caller's header must not replace them.
const RESERVED: [&str; 5] = [
    "authorization",
    "user-agent",
    "host",
    "content-length",
    "content-type",
];

/// Extra headers for API requests, checked: valid names and values, none of
/// the headers the SDK sets itself. Every value is marked sensitive.
pub(crate) fn extra_headers(pairs: &[(String, String)]) -> Result<HeaderMap> {
    let mut headers = HeaderMap::new();
    for (name, value) in pairs {
        let header = HeaderName::from_bytes(name.trim().as_bytes())
            .map_err(|_| Error::InvalidInput(format!("{name:?} is not a valid header name")))?;
        if RESERVED.contains(&header.as_str()) {
            return Err(Error::InvalidInput(format!(
                "the header {header} is set by the SDK; use the builder's own setting for it \
                 (api_key/api_secret, jwt or public for authorization, user_agent for user-agent)"
            )));
        }
        let mut value = HeaderValue::from_str(value.trim()).map_err(|_| {
            Error::InvalidInput(format!(
                "the value of the header {header} cannot go in a header (a control character?)"
            ))
        })?;
        value.set_sensitive(true);
        headers.append(header, value);
    }
    Ok(headers)
}

/// Parses `SCENARIO_CUSTOM_HEADERS`: one `Name: value` per line, blank lines
/// ignored. A bad line is named by its number, never by its content.
pub(crate) fn parse_custom_headers(text: &str) -> Result<Vec<(String, String)>> {
    text.lines()
        .enumerate()
        .filter(|(_, line)| !line.trim().is_empty())
        .map(|(index, line)| {
            let (name, value) = line.split_once(':').ok_or_else(|| {
                Error::InvalidInput(format!(
                    "line {} of {ENV_CUSTOM_HEADERS} is not `Name: value`",
                    index + 1
                ))
            })?;
            Ok((name.trim().to_owned(), value.trim().to_owned()))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn custom_headers_parse_line_by_line_and_name_a_bad_line_by_number() {
        let parsed = parse_custom_headers("X-Team: art\n\n  x-trace-id : 42 \n").unwrap();
        assert_eq!(
            parsed,
            vec![
                ("X-Team".to_owned(), "art".to_owned()),
                ("x-trace-id".to_owned(), "42".to_owned())
            ]
        );
        let err = parse_custom_headers("X-Team: art\nsecret-value-without-colon").unwrap_err();
        let text = err.to_string();
        assert!(text.contains("line 2"), "{text}");
        assert!(!text.contains("secret-value"), "{text}");
    }

    #[test]
    fn the_sdks_own_headers_cannot_be_replaced() {
        for name in ["Authorization", "user-agent", "Host"] {
            let err = extra_headers(&[(name.to_owned(), "x".to_owned())]).unwrap_err();
            assert!(err.to_string().contains("set by the SDK"), "{err}");
        }
        let headers = extra_headers(&[("x-team".to_owned(), "art".to_owned())]).unwrap();
        assert!(headers["x-team"].is_sensitive());
    }

    #[test]
    fn every_mode_makes_a_sensitive_header_and_debug_hides_secrets() {
        let basic = Credentials::Basic {
            key: "k".into(),
            secret: "s3cret".into(),
        };
        assert!(basic.authorization().unwrap().is_sensitive());
        assert!(!format!("{basic:?}").contains("s3cret"));
        let bearer = Credentials::Bearer("eyJ.token".into());
        assert_eq!(
            bearer.authorization().unwrap().to_str().unwrap(),
            "Bearer eyJ.token"
        );
        assert!(!format!("{bearer:?}").contains("eyJ"));
        assert_eq!(
            Credentials::Public
                .authorization()
                .unwrap()
                .to_str()
                .unwrap(),
            PUBLIC_TOKEN
        );
        assert!(Credentials::Bearer("a b".into()).authorization().is_err());
    }
}
