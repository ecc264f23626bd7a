//! Fetching a team's metadata URL: https only (http just for loopback), never from the SP's own
//! network, a deadline, a size cap enforced while reading, and redirects followed by hand so that
//! every hop obeys the same rules.
//!
//! The URL is typed by a customer, so the fetch treats the other end as untrusted: it must not
//! hang the refresh loop (one deadline for the whole exchange, redirects and body included),
//! must not fill memory (the cap is checked against `Content-Length` and again on every chunk, so
//! no more than the cap is ever buffered), and must not be steered onto plain http where anyone on
//! the path could substitute their own signing certificate. Metadata is not signed in a way the SP
//! could check ([`super::metadata`]), so TLS is what authenticates it.
//!
//! **Not aimed inward.** A metadata URL is a request the SP makes on a customer's behalf, from
//! inside its own network: without a rule, `https://10.0.0.5/` or a name resolving to
//! `169.254.169.254` (a cloud's instance metadata, with its credentials) would make the SP a proxy
//! into places the customer cannot reach (SSRF). So every address the SP would connect to is
//! classified ([`classify`]) and the forbidden classes are refused **at connection time**: host
//! names are resolved by the [`MetadataFetcher`]'s own resolver, which vets the answer before the
//! HTTP client sees it (a name cannot pass a check and then resolve elsewhere for the connection,
//! as DNS rebinding tries), and IP literals, which the HTTP client never resolves, are vetted
//! before each request. Redirects go through the same two gates. Proxies from the environment are
//! not used: a proxy resolves names itself, out of reach of the vetting. Labs and tests, whose IdP
//! lives on loopback or a private network, turn the rule off with [`FetchLimits::allow_private`]
//! (`sp serve --allow-private-metadata`); unspecified, multicast, broadcast and reserved addresses
//! stay refused even then, since no IdP serves from them (and `0.0.0.0` reaches the SP's own
//! host).
//!
//! **No echo.** An error says which class of failure happened (its [`FetchError::code`]), the
//! URL, and the fix; never the remote body, the remote reason phrase or TLS library text, nor the
//! address a name resolved to (a customer could otherwise map the SP's internal DNS through the
//! error messages of the admin form).
//!
//! The body is returned as text; [`super::metadata::check_static`] decides whether it is usable.
//! Content-Type is not checked: IdPs serve metadata as `application/samlmetadata+xml`,
//! `application/xml`, `text/xml` and even `text/html`.

use std::future::Future;
use std::io;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use url::{Host, Url};

use super::metadata::MAX_METADATA_BYTES;

/// Bounds on one fetch, and whether private addresses may be fetched from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FetchLimits {
    /// Deadline for the whole fetch: connecting, every redirect, headers and body.
    pub timeout: Duration,
    /// Largest body accepted, in bytes.
    pub max_bytes: usize,
    /// Redirects followed before giving up. A metadata URL normally answers directly; a few IdPs
    /// redirect once (http→https, a CDN, a tenant alias), so three is generous.
    pub max_redirects: usize,
    /// Fetch from loopback, private (RFC 1918, fc00::/7), link-local, CGNAT, documentation and
    /// benchmark addresses too: for labs and tests whose IdP runs beside the SP. Off in
    /// production, where these are the SP's own network ([`AddressClass::allowed_in_labs`]).
    pub allow_private: bool,
}

impl Default for FetchLimits {
    fn default() -> Self {
        FetchLimits {
            timeout: Duration::from_secs(10),
            max_bytes: MAX_METADATA_BYTES,
            max_redirects: 3,
            allow_private: false,
        }
    }
}

/// A kind of address the SP does not fetch metadata from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum AddressClass {
    /// 127.0.0.0/8, ::1: the SP's own host.
    Loopback,
    /// 10/8, 172.16/12, 192.168/16 (RFC 1918), fec0::/10 (deprecated site-local).
    Private,
    /// 169.254/16, fe80::/10; cloud instance-metadata services live here.
    LinkLocal,
    /// fc00::/7 (RFC 4193).
    UniqueLocal,
    /// 100.64/10 (RFC 6598): carrier-grade NAT, inside a provider's network.
    SharedCgnat,
    /// 192.0.2/24, 198.51.100/24, 203.0.113/24, 2001:db8::/32, 3fff::/20: never routed.
    Documentation,
    /// 198.18/15, 2001:2::/48 (RFC 2544, 5180): benchmark networks, never routed.
    Benchmark,
    /// 0.0.0.0/8, ::: "this host"; connecting to it reaches the SP's own host.
    Unspecified,
    /// 224/4, ff00::/8.
    Multicast,
    /// 255.255.255.255.
    Broadcast,
    /// 240/4, 192.0.0/24, 100::/64: reserved, not an IdP's address.
    Reserved,
}

impl AddressClass {
    /// The words used in messages: "resolves to a {name} address".
    pub fn name(self) -> &'static str {
        match self {
            AddressClass::Loopback => "loopback",
            AddressClass::Private => "private",
            AddressClass::LinkLocal => "link-local",
            AddressClass::UniqueLocal => "unique-local",
            AddressClass::SharedCgnat => "carrier-grade NAT (100.64.0.0/10)",
            AddressClass::Documentation => "documentation-range",
            AddressClass::Benchmark => "benchmark-range",
            AddressClass::Unspecified => "unspecified",
            AddressClass::Multicast => "multicast",
            AddressClass::Broadcast => "broadcast",
            AddressClass::Reserved => "reserved",
        }
    }

    /// Whether [`FetchLimits::allow_private`] lifts the refusal: yes for networks a lab IdP can
    /// live on; no for addresses no server answers from.
    pub fn allowed_in_labs(self) -> bool {
        !matches!(
            self,
            AddressClass::Unspecified
                | AddressClass::Multicast
                | AddressClass::Broadcast
                | AddressClass::Reserved
        )
    }
}

/// The forbidden class `ip` belongs to, or `None` for a public unicast address.
///
/// IPv6 forms that carry an IPv4 address — IPv4-mapped (`::ffff:a.b.c.d`), IPv4-compatible
/// (`::a.b.c.d`), NAT64 (`64:ff9b::/96`, RFC 6052) and 6to4 (`2002::/16`) — are judged by that
/// IPv4 address, since that is where the packets end up.
pub fn classify(ip: IpAddr) -> Option<AddressClass> {
    match ip {
        IpAddr::V4(v4) => classify_v4(v4),
        IpAddr::V6(v6) => classify_v6(v6),
    }
}

fn classify_v4(ip: Ipv4Addr) -> Option<AddressClass> {
    let [a, b, c, _] = ip.octets();
    let class = match (a, b, c) {
        (0, _, _) => AddressClass::Unspecified,
        (127, _, _) => AddressClass::Loopback,
        (10, _, _) | (192, 168, _) => AddressClass::Private,
        (172, 16..=31, _) => AddressClass::Private,
        (169, 254, _) => AddressClass::LinkLocal,
        (100, 64..=127, _) => AddressClass::SharedCgnat,
        (192, 0, 2) | (198, 51, 100) | (203, 0, 113) => AddressClass::Documentation,
        (198, 18..=19, _) => AddressClass::Benchmark,
        (192, 0, 0) => AddressClass::Reserved,
        (224..=239, _, _) => AddressClass::Multicast,
        _ if ip == Ipv4Addr::BROADCAST => AddressClass::Broadcast,
        (240..=255, _, _) => AddressClass::Reserved,
        _ => return None,
    };
    Some(class)
}

fn classify_v6(ip: Ipv6Addr) -> Option<AddressClass> {
    let s = ip.segments();
    let embedded =
        |hi: u16, lo: u16| classify_v4(Ipv4Addr::from((u32::from(hi) << 16) | u32::from(lo)));
    if ip.is_unspecified() {
        return Some(AddressClass::Unspecified);
    }
    if ip.is_loopback() {
        return Some(AddressClass::Loopback);
    }
    match s {
        // IPv4-mapped ::ffff:a.b.c.d, and IPv4-compatible ::a.b.c.d (deprecated, but some stacks
        // still route it to the IPv4 address).
        [0, 0, 0, 0, 0, 0xffff, hi, lo] | [0, 0, 0, 0, 0, 0, hi, lo] => {
            // A public IPv4 address in these forms is as public as itself.
            return embedded(hi, lo);
        }
        // NAT64 well-known prefix: the translator forwards to the embedded IPv4 address.
        [0x64, 0xff9b, 0, 0, 0, 0, hi, lo] => return embedded(hi, lo),
        // 6to4: the relay delivers to the IPv4 address in bits 16–47.
        [0x2002, hi, lo, ..] => return embedded(hi, lo),
        _ => {}
    }
    let class = match s[0] {
        // RFC 8215 local-use NAT64 (64:ff9b:1::/48): a translator inside the operator's network.
        0x64 if s[1] == 0xff9b && s[2] == 1 => AddressClass::Private,
        0x100 if s[1..4] == [0, 0, 0] => AddressClass::Reserved,
        0x2001 if s[1] == 0xdb8 => AddressClass::Documentation,
        0x2001 if s[1] == 2 && s[2] == 0 => AddressClass::Benchmark,
        0x3fff if s[1] < 0x1000 => AddressClass::Documentation,
        x if x & 0xfe00 == 0xfc00 => AddressClass::UniqueLocal,
        x if x & 0xffc0 == 0xfe80 => AddressClass::LinkLocal,
        x if x & 0xffc0 == 0xfec0 => AddressClass::Private,
        x if x & 0xff00 == 0xff00 => AddressClass::Multicast,
        _ => return None,
    };
    Some(class)
}

/// The class that makes `ip` refused under `limits`, if any.
fn refused_class(ip: IpAddr, limits: &FetchLimits) -> Option<AddressClass> {
    classify(ip).filter(|class| !(limits.allow_private && class.allowed_in_labs()))
}

/// Where host names are looked up. Production uses the system resolver ([`SystemLookup`]);
/// tests inject a table, so that names resolving to every forbidden class can be tried without
/// sending a packet anywhere.
pub trait Lookup: Send + Sync + 'static {
    /// The addresses `host` resolves to.
    fn lookup(&self, host: &str) -> Pin<Box<dyn Future<Output = io::Result<Vec<IpAddr>>> + Send>>;
}

/// The operating system's resolver (`getaddrinfo`, through tokio).
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemLookup;

impl Lookup for SystemLookup {
    fn lookup(&self, host: &str) -> Pin<Box<dyn Future<Output = io::Result<Vec<IpAddr>>> + Send>> {
        let host = host.to_owned();
        Box::pin(async move {
            let addrs = tokio::net::lookup_host((host.as_str(), 0)).await?;
            Ok(addrs.map(|a| a.ip()).collect())
        })
    }
}

/// Why the vetting resolver gave the HTTP client no address; found again in the client's error
/// chain by [`FetchError::from_request`].
#[derive(Debug, thiserror::Error)]
enum Resolution {
    #[error("the name did not resolve")]
    NotFound,
    #[error("the name resolves to a {} address", .0.name())]
    Forbidden(AddressClass),
}

/// The HTTP client's resolver: looks the name up, then refuses the whole answer if any address
/// in it is forbidden (the client would try them in turn, so one bad address is enough).
struct VettingResolver {
    lookup: Arc<dyn Lookup>,
    limits: FetchLimits,
}

impl reqwest::dns::Resolve for VettingResolver {
    fn resolve(&self, name: reqwest::dns::Name) -> reqwest::dns::Resolving {
        let lookup = self.lookup.clone();
        let limits = self.limits.clone();
        let host = name.as_str().to_owned();
        Box::pin(async move {
            let addrs = lookup
                .lookup(&host)
                .await
                .map_err(|_| Resolution::NotFound)?;
            if addrs.is_empty() {
                return Err(Resolution::NotFound.into());
            }
            if let Some(class) = addrs.iter().find_map(|ip| refused_class(*ip, &limits)) {
                tracing::warn!(
                    host,
                    class = class.name(),
                    "metadata fetch refused: forbidden address"
                );
                return Err(Resolution::Forbidden(class).into());
            }
            let addrs: reqwest::dns::Addrs =
                Box::new(addrs.into_iter().map(|ip| SocketAddr::new(ip, 0)));
            Ok(addrs)
        })
    }
}

/// Why a metadata URL could not be fetched. Each message names the URL (password removed), the
/// class of failure and what to do, and nothing the remote side said.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum FetchError {
    #[error(
        "metadata URL {url:?} is not an absolute URL ({reason}); paste the full https:// address \
         the IdP gives for its metadata"
    )]
    InvalidUrl {
        url: String,
        reason: url::ParseError,
    },
    #[error("metadata URL {url} uses the {scheme}: scheme; use the IdP's https:// metadata URL")]
    UnsupportedScheme { url: String, scheme: String },
    #[error(
        "metadata URL {url} uses plain http, which is allowed only for a loopback host \
         (127.0.0.0/8, ::1, localhost); use the https:// URL, since over http anyone on the path \
         could replace the IdP's signing certificate"
    )]
    InsecureUrl { url: String },
    #[error(
        "metadata URL {url}: {host} {} {} address, from which the SP never fetches (it belongs \
         to the SP's own network or to no server at all); use the IdP's public https:// metadata \
         URL{}",
        if *literal { "is a" } else { "resolves to a" },
        class.name(),
        if class.allowed_in_labs() {
            ", or, for a lab whose IdP runs beside the SP, start sp with --allow-private-metadata"
        } else {
            ""
        }
    )]
    AddressForbidden {
        url: String,
        host: String,
        class: AddressClass,
        /// The URL names the address itself rather than a host name.
        literal: bool,
    },
    #[error(
        "the host name of metadata URL {url} could not be resolved (DNS); check the URL for typos \
         and that the SP's resolver knows the name"
    )]
    Dns { url: String },
    #[error(
        "could not connect to metadata URL {url} (refused, unreachable or reset); check the URL \
         and that the SP can reach the IdP"
    )]
    Connect { url: String },
    #[error(
        "the TLS handshake with metadata URL {url} failed (the certificate is not trusted, \
         expired or for another name, or the server does not speak TLS on that port); use the \
         IdP's own https:// metadata URL"
    )]
    Tls { url: String },
    #[error(
        "fetching metadata from {url} did not finish within {} s; check that the SP can reach \
         the URL, or paste the metadata XML instead",
        after.as_secs_f64()
    )]
    Timeout { url: String, after: Duration },
    #[error(
        "the connection to metadata URL {url} broke while the metadata was being read; the next \
         refresh retries, or paste the metadata XML instead"
    )]
    Interrupted { url: String },
    #[error("metadata URL {url} answered HTTP {status}; {}", status_hint(*status))]
    Status { url: String, status: u16 },
    #[error(
        "metadata from {url} is larger than the limit of {limit} bytes; use the metadata URL of \
         this one IdP application, not a federation aggregate"
    )]
    TooLarge { url: String, limit: usize },
    #[error("metadata URL {url} redirected more than {max} times; use the final URL instead")]
    TooManyRedirects { url: String, max: usize },
    #[error(
        "metadata URL {from} redirected to {to}, which is refused ({why}); use the IdP's final \
         https:// metadata URL"
    )]
    RedirectForbidden {
        from: String,
        to: String,
        why: &'static str,
    },
    #[error(
        "metadata URL {url} answered HTTP {status} without a usable Location header; use the final \
         URL instead"
    )]
    RedirectInvalid { url: String, status: u16 },
    #[error(
        "what {url} serves is not metadata (not UTF-8 text); check that the URL serves the IdP's \
         metadata XML"
    )]
    NotMetadata { url: String },
    #[error(
        "could not set up the HTTP client for metadata fetches (the TLS library did not \
         initialise); see the SP's log"
    )]
    Client,
}

impl FetchError {
    /// The stable snake_case code, recorded with the error time as the metadata's last error.
    pub fn code(&self) -> &'static str {
        match self {
            FetchError::InvalidUrl { .. } => "url_invalid",
            FetchError::UnsupportedScheme { .. } => "url_scheme_unsupported",
            FetchError::InsecureUrl { .. } => "url_not_https",
            FetchError::AddressForbidden { .. } => "address_forbidden",
            FetchError::Dns { .. } => "dns",
            FetchError::Connect { .. } => "connect",
            FetchError::Tls { .. } => "tls",
            FetchError::Timeout { .. } => "timeout",
            FetchError::Interrupted { .. } => "interrupted",
            FetchError::Status { .. } => "status",
            FetchError::TooLarge { .. } => "too_large",
            FetchError::TooManyRedirects { .. } => "too_many_redirects",
            FetchError::RedirectForbidden { .. } => "redirect_forbidden",
            FetchError::RedirectInvalid { .. } => "redirect_invalid",
            FetchError::NotMetadata { .. } => "not_metadata",
            FetchError::Client => "client_failed",
        }
    }

    /// The class of a failed request to `url`, read from the client's error chain: the vetting
    /// resolver's verdict, a timeout, TLS (OpenSSL's error in the chain), or the connection.
    fn from_request(url: &Url, error: &reqwest::Error) -> FetchError {
        // The detail stays in the SP's own log; the error itself carries only the class.
        tracing::debug!(url = %redact(url), "metadata fetch failed: {}", chain(error));
        let shown = redact(url);
        let host = url.host_str().unwrap_or_default().to_owned();
        let mut source: Option<&(dyn std::error::Error + 'static)> = Some(error);
        let mut tls = false;
        while let Some(cause) = source {
            // io::Error hides a wrapped error from source(); look inside it too.
            let inner = cause
                .downcast_ref::<io::Error>()
                .and_then(|e| e.get_ref())
                .map(|e| e as &(dyn std::error::Error + 'static));
            for e in std::iter::once(cause).chain(inner) {
                match e.downcast_ref::<Resolution>() {
                    Some(Resolution::Forbidden(class)) => {
                        return FetchError::AddressForbidden {
                            url: shown,
                            host,
                            class: *class,
                            literal: false,
                        };
                    }
                    Some(Resolution::NotFound) => return FetchError::Dns { url: shown },
                    None => {}
                }
                tls |= e.is::<openssl::error::ErrorStack>() || e.is::<openssl::ssl::Error>();
            }
            source = cause.source();
        }
        if error.is_timeout() {
            FetchError::Timeout {
                url: shown,
                after: Duration::ZERO,
            }
        } else if tls {
            FetchError::Tls { url: shown }
        } else if error.is_body() || error.is_decode() {
            FetchError::Interrupted { url: shown }
        } else {
            FetchError::Connect { url: shown }
        }
    }
}

/// Parses a metadata URL and applies the scheme rule: `https`, or `http` to a loopback host only
/// (a local IdP or mock during development and tests). Runs before any network access; the
/// address rule applies when connecting ([`MetadataFetcher::fetch`]).
pub fn check_url(url: &str) -> Result<Url, FetchError> {
    let parsed = Url::parse(url.trim()).map_err(|reason| FetchError::InvalidUrl {
        url: truncate(url),
        reason,
    })?;
    match parsed.scheme() {
        "https" => Ok(parsed),
        "http" if is_loopback(&parsed) => Ok(parsed),
        "http" => Err(FetchError::InsecureUrl {
            url: redact(&parsed),
        }),
        other => Err(FetchError::UnsupportedScheme {
            url: redact(&parsed),
            scheme: other.to_owned(),
        }),
    }
}

/// Fetches metadata URLs under one set of [`FetchLimits`], with an HTTP client whose resolver
/// vets every address it hands out. The only way this crate fetches a metadata URL, so no fetch
/// can skip the address rule. Cheap to clone (the client is shared).
#[derive(Clone)]
pub struct MetadataFetcher {
    client: reqwest::Client,
    limits: FetchLimits,
}

impl std::fmt::Debug for MetadataFetcher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MetadataFetcher")
            .field("limits", &self.limits)
            .finish_non_exhaustive()
    }
}

impl MetadataFetcher {
    /// A fetcher resolving names with the system resolver.
    pub fn new(limits: FetchLimits) -> Result<MetadataFetcher, FetchError> {
        MetadataFetcher::with_lookup(limits, Arc::new(SystemLookup))
    }

    /// A fetcher resolving names with `lookup` (tests inject a table).
    pub fn with_lookup(
        limits: FetchLimits,
        lookup: Arc<dyn Lookup>,
    ) -> Result<MetadataFetcher, FetchError> {
        let resolver = VettingResolver {
            lookup,
            limits: limits.clone(),
        };
        // Redirects off: `fetch` follows them itself, checking each hop. No proxy: a proxy would
        // resolve the names itself, past the vetting resolver.
        let client = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .no_proxy()
            .dns_resolver(Arc::new(resolver))
            .connect_timeout(limits.timeout)
            .user_agent(concat!("ssolab-sp/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| {
                tracing::error!("metadata HTTP client: {}", chain(&e));
                FetchError::Client
            })?;
        Ok(MetadataFetcher { client, limits })
    }

    pub fn limits(&self) -> &FetchLimits {
        &self.limits
    }

    /// Fetches the metadata at `url` as text within the limits.
    ///
    /// Follows up to `max_redirects` redirects (301, 302, 303, 307, 308), each to an https URL,
    /// or to loopback http only from a loopback URL, and each to an address the rule allows.
    pub async fn fetch(&self, url: &str) -> Result<String, FetchError> {
        let start = check_url(url)?;
        let shown = redact(&start);
        match tokio::time::timeout(self.limits.timeout, self.fetch_within(start)).await {
            Ok(Err(FetchError::Timeout { .. })) | Err(_) => {
                // The overall deadline and the client's connect timeout both report the whole
                // budget and the URL first asked for: that is what the operator configured.
                Err(FetchError::Timeout {
                    url: shown,
                    after: self.limits.timeout,
                })
            }
            Ok(result) => result,
        }
    }

    async fn fetch_within(&self, mut url: Url) -> Result<String, FetchError> {
        let limits = &self.limits;
        let mut redirects = 0usize;
        loop {
            check_literal(&url, limits)?;
            let mut response = self
                .client
                .get(url.clone())
                .send()
                .await
                .map_err(|e| FetchError::from_request(&url, &e))?;
            let status = response.status().as_u16();
            if matches!(status, 301 | 302 | 303 | 307 | 308) {
                redirects += 1;
                if redirects > limits.max_redirects {
                    return Err(FetchError::TooManyRedirects {
                        url: redact(&url),
                        max: limits.max_redirects,
                    });
                }
                let next = response
                    .headers()
                    .get(reqwest::header::LOCATION)
                    .and_then(|v| v.to_str().ok())
                    .and_then(|location| url.join(location).ok())
                    .ok_or_else(|| FetchError::RedirectInvalid {
                        url: redact(&url),
                        status,
                    })?;
                check_redirect(&url, &next)?;
                url = next;
                continue;
            }
            if !(200..300).contains(&status) {
                return Err(FetchError::Status {
                    url: redact(&url),
                    status,
                });
            }
            let too_large = || FetchError::TooLarge {
                url: redact(&url),
                limit: limits.max_bytes,
            };
            // A declared length over the cap is refused before reading anything; a body without
            // one (chunked, or close-delimited) is counted as it arrives.
            let declared = response.content_length();
            if declared.is_some_and(|len| len > limits.max_bytes as u64) {
                return Err(too_large());
            }
            let capacity = declared.map_or(0, |len| len as usize);
            let mut body: Vec<u8> = Vec::with_capacity(capacity);
            while let Some(chunk) = response
                .chunk()
                .await
                .map_err(|e| FetchError::from_request(&url, &e))?
            {
                if chunk.len() > limits.max_bytes - body.len() {
                    return Err(too_large());
                }
                body.extend_from_slice(&chunk);
            }
            return String::from_utf8(body)
                .map_err(|_| FetchError::NotMetadata { url: redact(&url) });
        }
    }
}

/// The address rule for a URL naming an IP address: the HTTP client connects to a literal
/// without asking the resolver, so it is vetted here, before every request.
fn check_literal(url: &Url, limits: &FetchLimits) -> Result<(), FetchError> {
    let ip = match url.host() {
        Some(Host::Ipv4(ip)) => IpAddr::V4(ip),
        Some(Host::Ipv6(ip)) => IpAddr::V6(ip),
        Some(Host::Domain(_)) | None => return Ok(()),
    };
    match refused_class(ip, limits) {
        Some(class) => Err(FetchError::AddressForbidden {
            url: redact(url),
            host: url.host_str().unwrap_or_default().to_owned(),
            class,
            literal: true,
        }),
        None => Ok(()),
    }
}

/// A redirect from `from` to `to` is followed only if `to` passes [`check_url`] and does not move
/// from a non-loopback host to a loopback one (that would let any public server probe the SP's
/// local services). The address rule applies to the next hop as to any other.
fn check_redirect(from: &Url, to: &Url) -> Result<(), FetchError> {
    let refused = |why| FetchError::RedirectForbidden {
        from: redact(from),
        to: redact(to),
        why,
    };
    match to.scheme() {
        "https" => {}
        "http" if is_loopback(to) => {}
        "http" => return Err(refused("plain http to a non-loopback host")),
        _ => return Err(refused("not an http(s) URL")),
    }
    if is_loopback(to) && !is_loopback(from) {
        return Err(refused("a public host may not redirect to loopback"));
    }
    Ok(())
}

/// 127.0.0.0/8, ::1 (also IPv4-mapped), or the name `localhost`: the hosts plain http may go to.
/// Other names are not resolved here: what a name resolves to can change between this check and
/// the connection (the vetting resolver judges the connection itself).
fn is_loopback(url: &Url) -> bool {
    match url.host() {
        Some(Host::Domain(name)) => name.eq_ignore_ascii_case("localhost"),
        Some(Host::Ipv4(ip)) => ip.is_loopback(),
        Some(Host::Ipv6(ip)) => {
            IpAddr::V6(ip).is_loopback() || ip.to_ipv4_mapped().is_some_and(|v4| v4.is_loopback())
        }
        None => false,
    }
}

/// The URL for messages and logs, without a password that may have been embedded in it.
fn redact(url: &Url) -> String {
    let mut shown = url.clone();
    if shown.password().is_some() {
        // Only fails for URLs that cannot have credentials, which this one evidently can.
        let _ = shown.set_password(Some("***"));
    }
    shown.to_string()
}

/// Unparseable input is shown as given, but bounded.
fn truncate(text: &str) -> String {
    const MAX: usize = 200;
    match text.char_indices().nth(MAX) {
        Some((cut, _)) => format!("{}…", &text[..cut]),
        None => text.to_owned(),
    }
}

/// reqwest's own message ("error sending request") hides the cause ("connection refused"); the
/// SP's log shows the whole chain (never an error message: it may carry what the remote said).
fn chain(error: &(dyn std::error::Error + 'static)) -> String {
    let mut out = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        let text = cause.to_string();
        if !out.contains(&text) {
            out.push_str(": ");
            out.push_str(&text);
        }
        source = cause.source();
    }
    out
}

fn status_hint(status: u16) -> &'static str {
    match status {
        401 | 403 => {
            "the URL needs sign-in or is not public; use the IdP's public metadata URL (Okta: the \
             app's \"Identity Provider metadata\" link; Entra: \"App Federation Metadata Url\")"
        }
        404 | 410 => {
            "the URL does not exist (any more); copy it again from the IdP's admin console"
        }
        500..=599 => {
            "the IdP's server failed; the last good metadata stays in use and the fetch is retried"
        }
        _ => "check the URL (copy it again from the IdP's admin console)",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn code(url: &str) -> &'static str {
        match check_url(url) {
            Ok(_) => "ok",
            Err(e) => e.code(),
        }
    }

    #[test]
    fn https_is_accepted_anywhere() {
        assert_eq!(code("https://idp.example.com/metadata"), "ok");
        assert_eq!(code("  https://idp.example.com/metadata\n"), "ok");
    }

    #[test]
    fn http_is_accepted_only_for_loopback() {
        for ok in [
            "http://127.0.0.1:8081/metadata",
            "http://127.1.2.3/m",
            "http://[::1]:8081/m",
            "http://localhost:8081/m",
            "http://LOCALHOST/m",
            "http://[::ffff:127.0.0.1]/m",
        ] {
            assert_eq!(code(ok), "ok", "{ok}");
        }
        for refused in [
            "http://idp.example.com/metadata",
            "http://10.0.0.1/m",
            "http://localhost.example.com/m",
            "http://0.0.0.0/m",
            "http://[::]/m",
            "http://128.0.0.1/m",
        ] {
            assert_eq!(code(refused), "url_not_https", "{refused}");
        }
    }

    #[test]
    fn other_schemes_and_garbage_are_refused() {
        assert_eq!(code("file:///etc/passwd"), "url_scheme_unsupported");
        assert_eq!(code("ftp://idp/m"), "url_scheme_unsupported");
        assert_eq!(code("idp.example.com/metadata"), "url_invalid");
        assert_eq!(code(""), "url_invalid");
    }

    #[test]
    fn messages_name_the_url_and_the_fix_but_not_the_password() {
        let err = check_url("http://admin:hunter2@idp.example.com/md").unwrap_err();
        let text = err.to_string();
        assert!(
            text.contains("http://admin:***@idp.example.com/md"),
            "{text}"
        );
        assert!(!text.contains("hunter2"), "{text}");
        assert!(text.contains("use the https:// URL"), "{text}");
    }

    #[test]
    fn redirects_must_stay_https_or_loopback() {
        let u = |s: &str| Url::parse(s).unwrap();
        let code = |from: &str, to: &str| match check_redirect(&u(from), &u(to)) {
            Ok(()) => "ok",
            Err(e) => e.code(),
        };
        assert_eq!(code("https://a/m", "https://b/m"), "ok");
        assert_eq!(code("http://127.0.0.1/m", "http://localhost/m"), "ok");
        assert_eq!(code("http://127.0.0.1/m", "https://idp/m"), "ok");
        assert_eq!(code("https://a/m", "http://b/m"), "redirect_forbidden");
        assert_eq!(
            code("https://a/m", "http://127.0.0.1/m"),
            "redirect_forbidden"
        );
        assert_eq!(
            code("https://a/m", "https://127.0.0.1/m"),
            "redirect_forbidden"
        );
        assert_eq!(
            code("https://a/m", "file:///etc/passwd"),
            "redirect_forbidden"
        );
    }

    fn class(ip: &str) -> Option<AddressClass> {
        classify(ip.parse().expect("an IP address"))
    }

    #[test]
    fn classifies_every_forbidden_ipv4_range() {
        use AddressClass::*;
        let cases = [
            ("0.0.0.0", Unspecified),
            ("0.1.2.3", Unspecified),
            ("127.0.0.1", Loopback),
            ("127.255.255.254", Loopback),
            ("10.0.0.1", Private),
            ("172.16.0.1", Private),
            ("172.31.255.255", Private),
            ("192.168.1.1", Private),
            ("169.254.169.254", LinkLocal),
            ("100.64.0.1", SharedCgnat),
            ("100.127.255.255", SharedCgnat),
            ("192.0.2.1", Documentation),
            ("198.51.100.7", Documentation),
            ("203.0.113.9", Documentation),
            ("198.18.0.1", Benchmark),
            ("198.19.255.255", Benchmark),
            ("192.0.0.8", Reserved),
            ("224.0.0.1", Multicast),
            ("239.255.255.250", Multicast),
            ("240.0.0.1", Reserved),
            ("255.255.255.255", Broadcast),
        ];
        for (ip, expected) in cases {
            assert_eq!(class(ip), Some(expected), "{ip}");
        }
    }

    #[test]
    fn public_addresses_next_to_forbidden_ranges_are_allowed() {
        // The positive control: the first address past each range's edge.
        for ip in [
            "1.1.1.1",
            "9.255.255.255",
            "11.0.0.0",
            "172.15.255.255",
            "172.32.0.0",
            "192.167.255.255",
            "192.169.0.0",
            "169.253.255.255",
            "100.63.255.255",
            "100.128.0.0",
            "198.17.255.255",
            "198.20.0.0",
            "223.255.255.255",
            "2606:4700::1111",
            "2001:db9::1",
            "::ffff:8.8.8.8",
            "64:ff9b::808:808",
            "2002:808:808::1",
        ] {
            assert_eq!(class(ip), None, "{ip}");
        }
    }

    #[test]
    fn classifies_ipv6_and_the_ipv4_forms_inside_it() {
        use AddressClass::*;
        let cases = [
            ("::", Unspecified),
            ("::1", Loopback),
            ("fe80::1", LinkLocal),
            ("fec0::1", Private),
            ("fc00::1", UniqueLocal),
            ("fd12:3456::1", UniqueLocal),
            ("ff02::1", Multicast),
            ("2001:db8::1", Documentation),
            ("3fff::1", Documentation),
            ("2001:2::1", Benchmark),
            ("100::1", Reserved),
            ("64:ff9b:1::a00:1", Private),
            // IPv4-mapped, IPv4-compatible, NAT64 and 6to4 forms of forbidden IPv4 addresses.
            ("::ffff:127.0.0.1", Loopback),
            ("::ffff:10.1.2.3", Private),
            ("::ffff:169.254.169.254", LinkLocal),
            ("::ffff:0.0.0.0", Unspecified),
            ("::10.1.2.3", Private),
            ("::127.0.0.2", Loopback),
            ("64:ff9b::a9fe:a9fe", LinkLocal),
            ("64:ff9b::7f00:1", Loopback),
            ("2002:c0a8:101::1", Private),
        ];
        for (ip, expected) in cases {
            assert_eq!(class(ip), Some(expected), "{ip}");
        }
    }

    #[test]
    fn allow_private_lifts_lab_networks_but_never_unspecified_or_multicast() {
        let lab = FetchLimits {
            allow_private: true,
            ..FetchLimits::default()
        };
        let production = FetchLimits::default();
        let ip = |s: &str| s.parse::<IpAddr>().expect("an IP address");
        for allowed in ["127.0.0.1", "10.0.0.1", "::1", "fd00::1", "169.254.1.1"] {
            assert_eq!(refused_class(ip(allowed), &lab), None, "{allowed}");
            assert!(
                refused_class(ip(allowed), &production).is_some(),
                "{allowed}"
            );
        }
        for refused in [
            "0.0.0.0",
            "::",
            "::ffff:0.0.0.0",
            "224.0.0.1",
            "255.255.255.255",
        ] {
            assert!(refused_class(ip(refused), &lab).is_some(), "{refused}");
        }
    }

    proptest::proptest! {
        #[test]
        fn ipv4_in_ipv6_clothing_is_judged_as_the_ipv4_address(bits in proptest::prelude::any::<u32>()) {
            let v4 = Ipv4Addr::from(bits);
            let [hi, lo] = [(bits >> 16) as u16, bits as u16];
            let expected = classify(IpAddr::V4(v4));
            let mapped = v4.to_ipv6_mapped();
            let nat64 = Ipv6Addr::new(0x64, 0xff9b, 0, 0, 0, 0, hi, lo);
            let six_to_four = Ipv6Addr::new(0x2002, hi, lo, 0, 0, 0, 0, 1);
            for v6 in [mapped, nat64, six_to_four] {
                proptest::prop_assert_eq!(classify(IpAddr::V6(v6)), expected, "{}", v6);
            }
            // IPv4-compatible: only :: and ::1 read differently, and both stay forbidden.
            let compatible = IpAddr::V6(Ipv6Addr::new(0, 0, 0, 0, 0, 0, hi, lo));
            if bits > 1 {
                proptest::prop_assert_eq!(classify(compatible), expected);
            } else {
                proptest::prop_assert!(classify(compatible).is_some());
            }
        }
    }

    /// Names from a table; anything else fails like NXDOMAIN.
    struct Table(Vec<(&'static str, Vec<IpAddr>)>);

    impl Lookup for Table {
        fn lookup(
            &self,
            host: &str,
        ) -> Pin<Box<dyn Future<Output = io::Result<Vec<IpAddr>>> + Send>> {
            let found = self
                .0
                .iter()
                .find(|(name, _)| *name == host)
                .map(|(_, a)| a.clone());
            Box::pin(async move {
                found.ok_or_else(|| io::Error::new(io::ErrorKind::NotFound, "no such name"))
            })
        }
    }

    async fn resolve(host: &str, limits: FetchLimits) -> Result<Vec<SocketAddr>, String> {
        use reqwest::dns::Resolve;
        let ip = |s: &str| s.parse::<IpAddr>().expect("an IP address");
        let resolver = VettingResolver {
            lookup: Arc::new(Table(vec![
                ("public.test", vec![ip("93.184.216.34")]),
                ("mixed.test", vec![ip("93.184.216.34"), ip("10.0.0.7")]),
                ("metadata.test", vec![ip("169.254.169.254")]),
                ("empty.test", vec![]),
            ])),
            limits,
        };
        let name = host.parse().expect("a name");
        match resolver.resolve(name).await {
            Ok(addrs) => Ok(addrs.collect()),
            Err(e) => Err(e.to_string()),
        }
    }

    #[tokio::test]
    async fn the_resolver_hands_out_public_addresses_only() {
        let production = FetchLimits::default;
        assert_eq!(
            resolve("public.test", production()).await,
            Ok(vec!["93.184.216.34:0".parse().expect("address")])
        );
        // One forbidden address in the answer refuses all of it: the client would try each.
        assert_eq!(
            resolve("mixed.test", production()).await,
            Err("the name resolves to a private address".to_owned())
        );
        assert_eq!(
            resolve("metadata.test", production()).await,
            Err("the name resolves to a link-local address".to_owned())
        );
        for missing in ["empty.test", "nowhere.test"] {
            assert_eq!(
                resolve(missing, production()).await,
                Err("the name did not resolve".to_owned())
            );
        }
    }

    #[test]
    fn truncates_long_unparseable_input_on_a_char_boundary() {
        let long = "é".repeat(300);
        assert_eq!(truncate(&long).chars().count(), 201);
    }
}
