//! The TLS stack of every HTTP client the SDK builds, chosen by Cargo feature.
//!
//! reqwest's own rustls choice brings aws-lc-rs, whose C library is most of a
//! cold build; the default here is rustls with Graviola's cryptography, which
//! needs only rustc. The configuration is handed to each reqwest client rather
//! than installed as rustls' process-wide default, so an application that uses
//! rustls with another provider keeps its own.

use crate::error::Error;

/// The TLS stack this build of the SDK uses for `https://` URLs, as a feature
/// name (`"rustls-graviola"`, `"rustls-ring"`, `"rustls-aws-lc-rs"`,
/// `"native-tls"`), or `None` when it was built without one (plain `http://`
/// only).
pub fn tls_backend() -> Option<&'static str> {
    Backend::SELECTED.map(Backend::name)
}

/// Installs the SDK's rustls crypto provider (Graviola or ring, whichever this
/// build uses) as rustls' process-wide default, unless one is installed
/// already; true when this call installed it.
///
/// The SDK's own clients never need this: each gets its TLS configuration
/// directly. It is for the other reqwest clients of your program when their
/// reqwest has no TLS stack of its own: Cargo unifies reqwest's features, and
/// the provider-less rustls the SDK turns on makes `reqwest::Client::new()`
/// panic for want of a provider. Call it at the start of `main`, before
/// building those clients.
pub fn install_tls_provider() -> bool {
    #[cfg(any(feature = "rustls-ring", feature = "rustls-graviola"))]
    if let Some(provider) = provider() {
        return provider.install_default().is_ok();
    }
    false
}

#[derive(Clone, Copy)]
enum Backend {
    NativeTls,
    AwsLcRs,
    #[cfg_attr(not(feature = "rustls-ring"), allow(dead_code))]
    Ring,
    #[cfg_attr(not(feature = "rustls-graviola"), allow(dead_code))]
    Graviola,
}

impl Backend {
    /// The precedence documented in Cargo.toml: an explicitly added stack
    /// wins over the default one.
    const SELECTED: Option<Backend> = if cfg!(feature = "native-tls") {
        Some(Backend::NativeTls)
    } else if cfg!(feature = "rustls-aws-lc-rs") {
        Some(Backend::AwsLcRs)
    } else if cfg!(feature = "rustls-ring") {
        Some(Backend::Ring)
    } else if cfg!(all(
        feature = "rustls-graviola",
        any(target_arch = "x86_64", target_arch = "aarch64")
    )) {
        Some(Backend::Graviola)
    } else {
        None
    };

    fn name(self) -> &'static str {
        match self {
            Backend::NativeTls => "native-tls",
            Backend::AwsLcRs => "rustls-aws-lc-rs",
            Backend::Ring => "rustls-ring",
            Backend::Graviola => "rustls-graviola",
        }
    }
}

#[cfg(all(
    feature = "rustls-graviola",
    not(any(target_arch = "x86_64", target_arch = "aarch64")),
    not(any(
        feature = "rustls-ring",
        feature = "rustls-aws-lc-rs",
        feature = "native-tls"
    ))
))]
compile_error!(
    "scenario-sdk's default TLS stack (feature `rustls-graviola`) supports x86_64 and aarch64 \
     only: depend on scenario-sdk with `default-features = false` and one of the features \
     `rustls-ring`, `rustls-aws-lc-rs` or `native-tls` (plus the API areas you use, e.g. \
     `generate`, `models`)"
);

/// Gives `builder` this build's TLS stack. Fails, saying what to do, when the
/// stack cannot run here (Graviola on a CPU without the instructions it needs).
pub(crate) fn configure(builder: reqwest::ClientBuilder) -> Result<reqwest::ClientBuilder, Error> {
    match Backend::SELECTED {
        #[cfg(feature = "native-tls")]
        Some(Backend::NativeTls) => Ok(builder.tls_backend_native()),
        #[cfg(any(feature = "rustls-ring", feature = "rustls-graviola"))]
        Some(Backend::Ring | Backend::Graviola) => match provider() {
            Some(provider) => rustls_with(builder, provider),
            None => Err(Error::InvalidInput(
                "this CPU lacks instructions that scenario-sdk's default TLS stack \
                 (Graviola) needs (on x86_64: aes, pclmulqdq, avx2, bmi1, adx); build \
                 scenario-sdk with `default-features = false` and the feature \
                 `rustls-ring` or `rustls-aws-lc-rs` instead"
                    .to_owned(),
            )),
        },
        // reqwest's own default for its `rustls` feature, or no TLS at all
        // (`ClientBuilder::build` then refuses an https:// base URL).
        _ => Ok(builder),
    }
}

/// The rustls provider the SDK brings, when it brings one and it can run on
/// this CPU.
#[cfg(any(feature = "rustls-ring", feature = "rustls-graviola"))]
fn provider() -> Option<rustls::crypto::CryptoProvider> {
    match Backend::SELECTED {
        #[cfg(feature = "rustls-ring")]
        Some(Backend::Ring) => Some(rustls::crypto::ring::default_provider()),
        #[cfg(all(
            feature = "rustls-graviola",
            any(target_arch = "x86_64", target_arch = "aarch64")
        ))]
        Some(Backend::Graviola) if graviola::util::is_cpu_supported() => {
            Some(rustls_graviola::default_provider())
        }
        _ => None,
    }
}

/// rustls with `provider`, verifying certificates as the platform does (its
/// trust store and revocation checks), as reqwest's built-in rustls does.
#[cfg(any(feature = "rustls-ring", feature = "rustls-graviola"))]
#[cfg_attr(
    not(any(
        feature = "rustls-ring",
        target_arch = "x86_64",
        target_arch = "aarch64"
    )),
    allow(dead_code)
)]
fn rustls_with(
    builder: reqwest::ClientBuilder,
    provider: rustls::crypto::CryptoProvider,
) -> Result<reqwest::ClientBuilder, Error> {
    use rustls_platform_verifier::BuilderVerifierExt;
    let failed = |e: rustls::Error| Error::InvalidInput(format!("cannot set up TLS: {e}"));
    let config = rustls::ClientConfig::builder_with_provider(std::sync::Arc::new(provider))
        .with_safe_default_protocol_versions()
        .map_err(failed)?
        .with_platform_verifier()
        .map_err(failed)?
        .with_no_client_auth();
    Ok(builder.tls_backend_preconfigured(config))
}
