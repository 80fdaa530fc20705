//! The one retry policy of every DashScope client in tts (`tts say`, `tts convert`): which
//! failures are worth another try, how many tries, and how long to wait between them.
//!
//! The table (also in README.md and docs/protocol.md):
//!
//! | failure | retried |
//! | --- | --- |
//! | connection refused, reset or timed out; no `task-started` in time; the server went quiet; the connection closed mid-task | yes |
//! | HTTP 408, 429 or 5xx at the handshake | yes |
//! | `task-failed` with `SERVER_ERROR`, `MODEL_ERROR`, `InternalError*`, `Throttling*`, `ServiceUnavailable`, or a code saying busy, overloaded or timeout | yes |
//! | HTTP 401/403 (the key), other 4xx, an untrusted TLS certificate, a protocol error, any other `task-failed` code (`InvalidParameter`, `DataInspectionFailed`, `Arrearage`, ...) | no |
//! | a spent quota (`AllocationQuota`, `Quota.Exceed` in the code), even with 429 | no |
//!
//! `tts say` retries a failed connection once ([`RetryPolicy::SAY`]): once text has been
//! spoken, a retry would repeat it. `tts convert` retries a whole file up to three times
//! ([`RetryPolicy::CONVERT`]), since its output is written only when complete. The HTTP API
//! (voices, uploads, chat) retries a request up to three times ([`RetryPolicy::HTTP`]).

use std::time::Duration;

/// A failure, as the retry table sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Failure<'a> {
    /// The network: refused, reset, closed mid-task, or a deadline passed.
    Network,
    /// The handshake was answered with this HTTP status.
    Status(u16),
    /// The service failed the task with this error code.
    Code(&'a str),
    /// Something a retry cannot mend: the TLS certificate, a protocol violation.
    Permanent,
}

/// Service codes (exact, case-insensitive) that say the service, not the request, failed.
pub const TRANSIENT_CODES: &[&str] = &["SERVER_ERROR", "MODEL_ERROR", "ServiceUnavailable"];
/// Code prefixes (case-insensitive) of the same kind: `Throttling.RateQuota`,
/// `InternalError.Algo`, ...
pub const TRANSIENT_PREFIXES: &[&str] = &["Throttling", "InternalError"];
/// Words in a code that say the same (case-insensitive).
pub const TRANSIENT_WORDS: &[&str] = &["busy", "overload", "unavailable", "timeout"];
/// Words in a code that say a quota is spent (case-insensitive): waiting does not raise it.
pub const QUOTA_WORDS: &[&str] = &["allocationquota", "quota.exceed"];

/// Whether a service error code says a quota is spent.
pub fn is_quota(code: &str) -> bool {
    let lower = code.to_ascii_lowercase();
    QUOTA_WORDS.iter().any(|w| lower.contains(w))
}

/// Whether trying again could succeed.
pub fn is_transient(failure: Failure<'_>) -> bool {
    match failure {
        Failure::Network => true,
        Failure::Status(status) => status == 408 || status == 429 || (500..=599).contains(&status),
        Failure::Code(code) => code_is_transient(code),
        Failure::Permanent => false,
    }
}

/// Whether a service error code says the service (not the request) failed.
pub fn code_is_transient(code: &str) -> bool {
    if is_quota(code) {
        return false;
    }
    let lower = code.to_ascii_lowercase();
    TRANSIENT_CODES.iter().any(|c| c.eq_ignore_ascii_case(code))
        || TRANSIENT_PREFIXES
            .iter()
            .any(|p| lower.starts_with(&p.to_ascii_lowercase()))
        || TRANSIENT_WORDS.iter().any(|w| lower.contains(w))
}

/// How often to try again and how long to wait.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Attempts after the first.
    pub max_retries: u32,
    /// The first wait; each further one doubles (with jitter).
    pub first_backoff: Duration,
}

impl RetryPolicy {
    /// `tts say`: a failed connection is tried once more.
    pub const SAY: Self = Self {
        max_retries: 1,
        first_backoff: Duration::from_millis(250),
    };
    /// `tts convert`: a file is tried up to three more times.
    pub const CONVERT: Self = Self {
        max_retries: 3,
        first_backoff: Duration::from_millis(500),
    };
    /// The HTTP API: a request is tried up to three more times.
    pub const HTTP: Self = Self {
        max_retries: 3,
        first_backoff: Duration::from_millis(500),
    };
    /// No retries (a caller that retries at a higher level).
    pub const NEVER: Self = Self {
        max_retries: 0,
        first_backoff: Duration::ZERO,
    };

    /// Whether a failure after `retries` retries so far is worth another try.
    pub fn should_retry(&self, failure: Failure<'_>, retries: u32) -> bool {
        retries < self.max_retries && is_transient(failure)
    }

    /// The wait before retry `n` (1 is the first): doubling from `first_backoff`, times a random
    /// factor from 0.5 to 1.5 so clients that failed together do not retry together.
    pub fn backoff(&self, n: u32) -> Duration {
        // A version-4 UUID is 122 random bits from the OS; no random-number crate is needed.
        let jitter = 0.5 + f64::from(uuid::Uuid::new_v4().as_u128() as u16) / f64::from(u16::MAX);
        self.first_backoff
            .saturating_mul(1 << n.saturating_sub(1).min(8))
            .mul_f64(jitter)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_table() {
        for code in [
            "SERVER_ERROR",
            "MODEL_ERROR",
            "model_error",
            "Throttling.RateQuota",
            "InternalError.Algo",
            "ServiceUnavailable",
            "EngineBusy",
            "RequestTimeOut",
        ] {
            assert!(is_transient(Failure::Code(code)), "{code}");
        }
        for code in [
            "InvalidParameter",
            "DataInspectionFailed",
            "Arrearage",
            "CLIENT_ERROR",
            "Throttling.AllocationQuota",
        ] {
            assert!(!is_transient(Failure::Code(code)), "{code}");
        }
        for status in [408, 429, 500, 502, 503, 504] {
            assert!(is_transient(Failure::Status(status)), "{status}");
        }
        for status in [400, 401, 403, 404] {
            assert!(!is_transient(Failure::Status(status)), "{status}");
        }
        assert!(is_transient(Failure::Network));
        assert!(!is_transient(Failure::Permanent));
    }

    #[test]
    fn a_spent_quota_at_the_handshake_is_not_retried_but_a_rate_limit_is() {
        let refused = |code: &str| crate::session::SessionError::Refused {
            url: "wss://example.com".into(),
            status: 429,
            code: Some(code.into()),
            message: None,
        };
        assert!(!refused("Throttling.AllocationQuota").retryable());
        assert!(refused("Throttling.RateQuota").retryable());
    }

    #[test]
    fn say_retries_once_and_convert_three_times() {
        assert!(RetryPolicy::SAY.should_retry(Failure::Network, 0));
        assert!(!RetryPolicy::SAY.should_retry(Failure::Network, 1));
        assert!(RetryPolicy::CONVERT.should_retry(Failure::Code("SERVER_ERROR"), 2));
        assert!(!RetryPolicy::CONVERT.should_retry(Failure::Code("SERVER_ERROR"), 3));
        assert!(!RetryPolicy::CONVERT.should_retry(Failure::Code("InvalidParameter"), 0));
        assert!(!RetryPolicy::NEVER.should_retry(Failure::Network, 0));
    }

    #[test]
    fn backoff_doubles_with_jitter() {
        let policy = RetryPolicy::CONVERT;
        for n in 1..=3 {
            let base = policy.first_backoff.as_secs_f64() * f64::from(1u32 << (n - 1));
            let waits: Vec<f64> = (0..50).map(|_| policy.backoff(n).as_secs_f64()).collect();
            assert!(waits.iter().all(|w| *w >= base * 0.5 && *w <= base * 1.5));
            assert!(
                waits.iter().any(|w| (w - waits[0]).abs() > 1e-6),
                "jittered"
            );
        }
    }
}
