//! When a partner's SP has logged the browser in. ssolab's `sp` (and mock-idp's judge) call a
//! login "a 302/303 that sets a cookie"; a partner's SP may answer a login with a 200 page, a
//! 302 to `/dashboard` or a cookie of a given name, so the rule is the partner's to state:
//!
//! ```text
//! --logged-in status=303                 a hop answered one of these statuses (comma-separated)
//! --logged-in cookie=session             a hop set this cookie (`*`: any cookie)
//! --logged-in redirect-to=/dashboard     a hop redirected to this path prefix (or URL prefix)
//! --logged-in body-contains=Welcome      the final page contains this text
//! ```
//!
//! Conditions are repeated flags and must all hold; the hop conditions (status, cookie,
//! redirect-to) on one and the same hop, since the answer that logs in is one response. Without
//! any flag the rule is `status=302,303 cookie=*`, mock-idp's own. A cookie header that deletes
//! a cookie (empty value, `Max-Age=0`) never counts as setting one.

use mock_idp::post::{Delivery, Hop, cookie_set_by};
use std::fmt;
use url::Url;

/// A `--logged-in` value that is not a condition.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LoginRuleError {
    #[error(
        "--logged-in {given:?}: write a condition as KEY=VALUE (status=303, cookie=session, redirect-to=/dashboard, body-contains=Welcome)"
    )]
    Syntax { given: String },
    #[error(
        "--logged-in {given:?}: unknown condition {key:?}; use status, cookie, redirect-to or body-contains"
    )]
    UnknownKey { given: String, key: String },
    #[error("--logged-in {given:?}: {key} needs a value after '='")]
    Empty { given: String, key: &'static str },
    #[error(
        "--logged-in {given:?}: {status:?} is not an HTTP status; give three digits from 100 to 599, comma-separated (status=302,303)"
    )]
    Status { given: String, status: String },
    #[error(
        "--logged-in {given:?}: give a path starting with / (redirect-to=/dashboard) or an http(s) URL"
    )]
    Redirect { given: String },
    #[error(
        "--logged-in: {key} is given twice; give it once (list statuses with commas: status=302,303)"
    )]
    Repeated { key: &'static str },
}

impl LoginRuleError {
    /// Stable code.
    pub fn code(&self) -> &'static str {
        match self {
            LoginRuleError::Syntax { .. } => "login_rule_syntax",
            LoginRuleError::UnknownKey { .. } => "login_rule_unknown",
            LoginRuleError::Empty { .. } => "login_rule_empty",
            LoginRuleError::Status { .. } => "login_rule_status",
            LoginRuleError::Redirect { .. } => "login_rule_redirect",
            LoginRuleError::Repeated { .. } => "login_rule_repeated",
        }
    }
}

/// One condition of a [`LoginRule`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Condition {
    /// The hop's status is one of these.
    Status(Vec<u16>),
    /// The hop sets this cookie (`None`: any cookie).
    Cookie(Option<String>),
    /// The hop's `Location`, resolved against the hop's URL, starts with this: a path (`/…`,
    /// compared with the path and query) or an absolute URL.
    RedirectTo(String),
    /// The final page contains this text.
    BodyContains(String),
}

impl Condition {
    fn key(&self) -> &'static str {
        match self {
            Condition::Status(_) => "status",
            Condition::Cookie(_) => "cookie",
            Condition::RedirectTo(_) => "redirect-to",
            Condition::BodyContains(_) => "body-contains",
        }
    }

    fn parse(given: &str) -> Result<Condition, LoginRuleError> {
        let Some((key, value)) = given.split_once('=') else {
            return Err(LoginRuleError::Syntax {
                given: given.to_owned(),
            });
        };
        let key = key.trim();
        let condition = match key {
            "status" => Condition::Status(Vec::new()),
            "cookie" => Condition::Cookie(None),
            "redirect-to" => Condition::RedirectTo(String::new()),
            "body-contains" => Condition::BodyContains(String::new()),
            _ => {
                return Err(LoginRuleError::UnknownKey {
                    given: given.to_owned(),
                    key: key.to_owned(),
                });
            }
        };
        // Body text is taken as written; every other value is a token where spaces are slips.
        let value = match condition {
            Condition::BodyContains(_) => value,
            _ => value.trim(),
        };
        if value.is_empty() {
            return Err(LoginRuleError::Empty {
                given: given.to_owned(),
                key: condition.key(),
            });
        }
        Ok(match condition {
            Condition::Status(_) => Condition::Status(
                value
                    .split(',')
                    .map(|s| parse_status(given, s.trim()))
                    .collect::<Result<_, _>>()?,
            ),
            Condition::Cookie(_) => Condition::Cookie((value != "*").then(|| value.to_owned())),
            Condition::RedirectTo(_) => {
                let is_url =
                    Url::parse(value).is_ok_and(|url| matches!(url.scheme(), "http" | "https"));
                if !value.starts_with('/') && !is_url {
                    return Err(LoginRuleError::Redirect {
                        given: given.to_owned(),
                    });
                }
                Condition::RedirectTo(value.to_owned())
            }
            Condition::BodyContains(_) => Condition::BodyContains(value.to_owned()),
        })
    }

    /// Whether `hop` meets this hop condition (a page condition is met by every hop: it is
    /// judged on the final body instead).
    fn met_by_hop(&self, hop: &Hop) -> bool {
        match self {
            Condition::Status(statuses) => statuses.contains(&hop.status),
            Condition::Cookie(name) => hop.set_cookies.iter().any(|header| {
                cookie_set_by(header)
                    .is_some_and(|(set, _)| name.as_deref().is_none_or(|n| n == set))
            }),
            Condition::RedirectTo(prefix) => {
                redirect_target(hop).is_some_and(|target| redirects_to(&target, prefix))
            }
            Condition::BodyContains(_) => true,
        }
    }

    fn is_about_the_page(&self) -> bool {
        matches!(self, Condition::BodyContains(_))
    }
}

fn parse_status(given: &str, text: &str) -> Result<u16, LoginRuleError> {
    text.parse::<u16>()
        .ok()
        .filter(|s| (100..=599).contains(s) && text.len() == 3)
        .ok_or_else(|| LoginRuleError::Status {
            given: given.to_owned(),
            status: text.to_owned(),
        })
}

/// The hop's `Location` resolved against the URL it answered.
fn redirect_target(hop: &Hop) -> Option<Url> {
    let location = hop.location.as_deref()?;
    Url::parse(&hop.url).ok()?.join(location).ok()
}

fn redirects_to(target: &Url, prefix: &str) -> bool {
    if prefix.starts_with('/') {
        let path_and_query = match target.query() {
            Some(query) => format!("{}?{query}", target.path()),
            None => target.path().to_owned(),
        };
        path_and_query.starts_with(prefix)
    } else {
        target.as_str().starts_with(prefix)
    }
}

impl fmt::Display for Condition {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Condition::Status(statuses) => {
                let list: Vec<String> = statuses.iter().map(u16::to_string).collect();
                write!(f, "status={}", list.join(","))
            }
            Condition::Cookie(name) => write!(f, "cookie={}", name.as_deref().unwrap_or("*")),
            Condition::RedirectTo(prefix) => write!(f, "redirect-to={prefix}"),
            Condition::BodyContains(text) => write!(f, "body-contains={text}"),
        }
    }
}

/// Every condition that, together, says the SP logged the browser in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoginRule {
    conditions: Vec<Condition>,
}

impl Default for LoginRule {
    /// mock-idp's rule: a 302/303 that sets a cookie.
    fn default() -> LoginRule {
        LoginRule {
            conditions: vec![Condition::Status(vec![302, 303]), Condition::Cookie(None)],
        }
    }
}

impl LoginRule {
    /// The rule the `--logged-in` flags state, or the default when there are none.
    pub fn parse<S: AsRef<str>>(flags: &[S]) -> Result<LoginRule, LoginRuleError> {
        if flags.is_empty() {
            return Ok(LoginRule::default());
        }
        let mut conditions: Vec<Condition> = Vec::new();
        for flag in flags {
            let condition = Condition::parse(flag.as_ref())?;
            if conditions.iter().any(|c| c.key() == condition.key()) {
                return Err(LoginRuleError::Repeated {
                    key: condition.key(),
                });
            }
            conditions.push(condition);
        }
        Ok(LoginRule { conditions })
    }

    /// The status of the hop that logged the browser in (for a rule about the page alone, the
    /// final status), or `None` when `delivery` is not a login.
    pub fn login(&self, delivery: &Delivery) -> Option<u16> {
        let page_ok = self.conditions.iter().all(|c| match c {
            Condition::BodyContains(text) => delivery.body.contains(text.as_str()),
            _ => true,
        });
        if !page_ok || delivery.redirect_limit_hit {
            return None;
        }
        if self.conditions.iter().all(Condition::is_about_the_page) {
            return delivery.hops.last().map(|hop| hop.status);
        }
        delivery
            .hops
            .iter()
            .find(|hop| self.conditions.iter().all(|c| c.met_by_hop(hop)))
            .map(|hop| hop.status)
    }
}

impl fmt::Display for LoginRule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let parts: Vec<String> = self.conditions.iter().map(ToString::to_string).collect();
        f.write_str(&parts.join(" "))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hop(status: u16, location: Option<&str>, set_cookies: &[&str]) -> Hop {
        Hop {
            method: "POST",
            url: "https://sp.example/saml/acs".to_owned(),
            sent_body: true,
            status,
            headers: Vec::new(),
            location: location.map(str::to_owned),
            set_cookies: set_cookies.iter().map(|c| (*c).to_owned()).collect(),
        }
    }

    fn delivery(hops: Vec<Hop>, body: &str) -> Delivery {
        Delivery {
            hops,
            body: body.to_owned(),
            redirect_limit_hit: false,
        }
    }

    fn rule(flags: &[&str]) -> LoginRule {
        LoginRule::parse(flags).expect("a valid rule")
    }

    #[test]
    fn the_default_is_a_302_or_303_that_sets_a_cookie() {
        let default = rule(&[]);
        assert_eq!(default.to_string(), "status=302,303 cookie=*");
        let login = delivery(
            vec![
                hop(303, Some("/"), &["sid=1; HttpOnly"]),
                hop(200, None, &[]),
            ],
            "home",
        );
        assert_eq!(default.login(&login), Some(303));
        let no_cookie = delivery(vec![hop(303, Some("/"), &[]), hop(200, None, &[])], "");
        assert_eq!(default.login(&no_cookie), None);
        let deleted = delivery(vec![hop(302, Some("/"), &["sid=; Max-Age=0"])], "");
        assert_eq!(default.login(&deleted), None);
        let refused = delivery(vec![hop(403, None, &["sid=1"])], "no");
        assert_eq!(default.login(&refused), None);
    }

    #[test]
    fn hop_conditions_must_hold_on_one_hop() {
        let rule = rule(&["status=302", "cookie=session"]);
        let split = delivery(
            vec![
                hop(302, Some("https://www.sp.example/saml/acs"), &[]),
                hop(303, Some("/"), &["session=x"]),
            ],
            "",
        );
        assert_eq!(rule.login(&split), None);
        let together = delivery(vec![hop(302, Some("/"), &["session=x", "other=y"])], "");
        assert_eq!(rule.login(&together), Some(302));
        let wrong_cookie = delivery(vec![hop(302, Some("/"), &["sessionid=x"])], "");
        assert_eq!(rule.login(&wrong_cookie), None);
    }

    #[test]
    fn redirect_to_matches_a_path_prefix_or_a_url_prefix_of_the_resolved_location() {
        let answer = |location: &str| delivery(vec![hop(302, Some(location), &[])], "");
        let path = rule(&["redirect-to=/dashboard"]);
        assert_eq!(path.login(&answer("/dashboard?first=1")), Some(302));
        assert_eq!(
            path.login(&answer("https://other.example/dashboard")),
            Some(302)
        );
        assert_eq!(path.login(&answer("/login?error=1")), None);
        let url = rule(&["redirect-to=https://app.sp.example/"]);
        assert_eq!(url.login(&answer("https://app.sp.example/home")), Some(302));
        assert_eq!(url.login(&answer("/home")), None);
        assert_eq!(path.login(&delivery(vec![hop(200, None, &[])], "")), None);
    }

    #[test]
    fn body_contains_reads_the_final_page_whatever_its_status() {
        let rule = rule(&["body-contains=Welcome, Alice"]);
        let page = delivery(
            vec![hop(303, Some("/"), &["s=1"]), hop(200, None, &[])],
            "<h1>Welcome, Alice</h1>",
        );
        assert_eq!(rule.login(&page), Some(200));
        let refusal = delivery(vec![hop(403, None, &[])], "Sign-in failed");
        assert_eq!(rule.login(&refusal), None);
        let both = super::LoginRule::parse(&["status=303", "body-contains=Welcome"]).expect("rule");
        assert_eq!(both.login(&page), Some(303));
    }

    #[test]
    fn a_redirect_loop_is_never_a_login() {
        let mut looping = delivery(vec![hop(302, Some("/"), &["s=1"]); 6], "");
        looping.redirect_limit_hit = true;
        assert_eq!(rule(&[]).login(&looping), None);
    }

    #[test]
    fn each_bad_condition_gets_its_code_and_names_the_flag() {
        let error = |flags: &[&str]| LoginRule::parse(flags).expect_err("refused");
        assert_eq!(error(&["303"]).code(), "login_rule_syntax");
        assert_eq!(error(&["stat=303"]).code(), "login_rule_unknown");
        assert_eq!(error(&["cookie="]).code(), "login_rule_empty");
        assert_eq!(error(&["status=3033"]).code(), "login_rule_status");
        assert_eq!(error(&["status=099"]).code(), "login_rule_status");
        assert_eq!(error(&["status=302,"]).code(), "login_rule_status");
        assert_eq!(
            error(&["redirect-to=dashboard"]).code(),
            "login_rule_redirect"
        );
        assert_eq!(
            error(&["redirect-to=ftp://x/"]).code(),
            "login_rule_redirect"
        );
        assert_eq!(
            error(&["status=302", "status=303"]).code(),
            "login_rule_repeated"
        );
        assert_eq!(
            error(&["stat=303"]).to_string(),
            "--logged-in \"stat=303\": unknown condition \"stat\"; use status, cookie, redirect-to or body-contains"
        );
        // The positive control: each key with a good value parses and prints back.
        let all = rule(&[
            "status=200,303",
            "cookie=session",
            "redirect-to=/app",
            "body-contains=Hi",
        ]);
        assert_eq!(
            all.to_string(),
            "status=200,303 cookie=session redirect-to=/app body-contains=Hi"
        );
    }
}
