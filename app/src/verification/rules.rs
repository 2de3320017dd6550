//! The rules a verification code lives by (spec section 2), as pure functions of the stored
//! facts and the time, so every rule is tested without a database or a clock.
//!
//! Times are Unix milliseconds, like everything stored.
use crate::time::{DAY_MS, HOUR_MS, MINUTE_MS};

/// Lifetimes and limits of verification codes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CodePolicy {
    /// How long a code can be used after it was sent.
    pub lifetime_ms: i64,
    /// Wrong entries after which a code is dead.
    pub max_attempts: i64,
    /// The shortest time between two codes to one address for one purpose.
    pub resend_after_ms: i64,
    pub per_address_hour: i64,
    pub per_address_day: i64,
    pub per_client_hour: i64,
    pub per_client_day: i64,
}

impl Default for CodePolicy {
    fn default() -> Self {
        Self {
            lifetime_ms: 10 * MINUTE_MS,
            max_attempts: 5,
            resend_after_ms: MINUTE_MS,
            per_address_hour: 5,
            per_address_day: 20,
            per_client_hour: 20,
            per_client_day: 100,
        }
    }
}

/// Which kind of limit a send counter is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SendLimit {
    /// The pause between two codes for one address and purpose.
    Pause,
    /// An hourly or daily budget.
    Budget,
}

/// Why a new code is not sent now.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum SendRefusal {
    #[error(
        "A code was sent less than a minute ago; you can ask for a new one in {seconds} seconds"
    )]
    TooSoon { seconds: i64 },
    #[error("Too many codes were requested; please try again in {seconds} seconds")]
    TooMany { seconds: i64 },
}

impl From<&SendRefusal> for crate::messages::Msg {
    fn from(refusal: &SendRefusal) -> Self {
        use crate::messages::Msg;
        match refusal {
            SendRefusal::TooSoon { seconds } => Msg::CodeSentRecently {
                seconds: seconds.to_string(),
            },
            SendRefusal::TooMany { seconds } => Msg::TooManyCodesRequested {
                seconds: seconds.to_string(),
            },
        }
    }
}

impl CodePolicy {
    /// The counters a new code for `purpose` to `address`, asked for from `client`, takes a
    /// hit of, each with the refusal it gives when reached. The resend pause and the address
    /// budgets are per purpose, so asking for one kind of code never uses up another (someone
    /// hammering "register" cannot lock the owner out of signing in by code).
    pub fn send_limits(
        &self,
        address: &str,
        purpose: &str,
        client: &str,
    ) -> Vec<(crate::server::limits::Limit, SendLimit)> {
        use crate::server::limits::Limit;
        let client = crate::server::limits::client_key(client);
        vec![
            (
                Limit::new(
                    format!("code:wait:{purpose}:{address}"),
                    1,
                    self.resend_after_ms,
                ),
                SendLimit::Pause,
            ),
            (
                Limit::new(
                    format!("code:hour:{purpose}:{address}"),
                    self.per_address_hour,
                    HOUR_MS,
                ),
                SendLimit::Budget,
            ),
            (
                Limit::new(
                    format!("code:day:{purpose}:{address}"),
                    self.per_address_day,
                    DAY_MS,
                ),
                SendLimit::Budget,
            ),
            (
                Limit::new(
                    format!("code:client-hour:{client}"),
                    self.per_client_hour,
                    HOUR_MS,
                ),
                SendLimit::Budget,
            ),
            (
                Limit::new(
                    format!("code:client-day:{client}"),
                    self.per_client_day,
                    DAY_MS,
                ),
                SendLimit::Budget,
            ),
        ]
    }

    /// What entering a code does to the stored code (the latest one for this address and
    /// purpose; an older one was replaced when it was sent).
    pub fn check(&self, code: &StoredCode, entered_matches: bool, now: i64) -> CodeCheck {
        if code.used {
            CodeCheck::Used
        } else if code.attempts >= self.max_attempts {
            CodeCheck::TooManyAttempts
        } else if now >= code.sent_at + self.lifetime_ms {
            CodeCheck::Expired
        } else if entered_matches {
            CodeCheck::Accepted
        } else if code.attempts + 1 >= self.max_attempts {
            CodeCheck::WrongAndDead
        } else {
            CodeCheck::Wrong {
                attempts_left: self.max_attempts - code.attempts - 1,
            }
        }
    }
}

/// The stored facts about the latest code for an address and purpose.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct StoredCode {
    pub sent_at: i64,
    pub attempts: i64,
    pub used: bool,
}

/// The outcome of entering a code. Only `Accepted` consumes it; `Wrong*` count an attempt.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum CodeCheck {
    #[error("accepted")]
    Accepted,
    #[error("The code is not correct; {attempts_left} attempts left")]
    Wrong { attempts_left: i64 },
    #[error("The code is not correct, and that was the last attempt; please request a new code")]
    WrongAndDead,
    #[error("Too many attempts; please request a new code")]
    TooManyAttempts,
    #[error("The code has expired; please request a new one")]
    Expired,
    #[error("This code was already used; please request a new one")]
    Used,
    #[error("No code was sent for this yet; please request one")]
    Missing,
}

impl From<&CodeCheck> for crate::messages::Msg {
    fn from(check: &CodeCheck) -> Self {
        use crate::messages::Msg;
        match check {
            // Not a refusal: an accepted code never becomes an error message.
            CodeCheck::Accepted => Msg::Internal,
            CodeCheck::Wrong { attempts_left } => Msg::WrongCode {
                attempts_left: attempts_left.to_string(),
            },
            CodeCheck::WrongAndDead => Msg::WrongCodeLastAttempt,
            CodeCheck::TooManyAttempts => Msg::TooManyCodeAttempts,
            CodeCheck::Expired => Msg::VerificationCodeExpired,
            CodeCheck::Used => Msg::CodeAlreadyUsed,
            CodeCheck::Missing => Msg::NoCodeSent,
        }
    }
}

impl CodeCheck {
    /// Whether this outcome counts as a wrong attempt against the code.
    pub fn counts_attempt(self) -> bool {
        matches!(self, CodeCheck::Wrong { .. } | CodeCheck::WrongAndDead)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: i64 = 1_800_000_000_000;

    fn fresh(sent_at: i64) -> StoredCode {
        StoredCode {
            sent_at,
            attempts: 0,
            used: false,
        }
    }

    #[test]
    fn a_code_lives_ten_minutes() {
        let policy = CodePolicy::default();
        let code = fresh(NOW);
        assert_eq!(
            policy.check(&code, true, NOW + 10 * MINUTE_MS - 1),
            CodeCheck::Accepted
        );
        assert_eq!(
            policy.check(&code, true, NOW + 10 * MINUTE_MS),
            CodeCheck::Expired
        );
        // An expired code is expired whatever was typed, and that costs no attempt.
        assert!(!policy.check(&code, false, NOW + DAY_MS).counts_attempt());
    }

    #[test]
    fn the_fifth_wrong_entry_kills_the_code() {
        let policy = CodePolicy::default();
        let mut code = fresh(NOW);
        for left in (1..=4).rev() {
            assert_eq!(
                policy.check(&code, false, NOW),
                CodeCheck::Wrong {
                    attempts_left: left
                }
            );
            code.attempts += 1;
        }
        assert_eq!(policy.check(&code, false, NOW), CodeCheck::WrongAndDead);
        code.attempts += 1;
        // Even the right code is refused now.
        assert_eq!(policy.check(&code, true, NOW), CodeCheck::TooManyAttempts);
    }

    #[test]
    fn a_code_works_once() {
        let policy = CodePolicy::default();
        let code = StoredCode {
            used: true,
            ..fresh(NOW)
        };
        assert_eq!(policy.check(&code, true, NOW), CodeCheck::Used);
    }

    #[test]
    fn budgets_are_per_purpose_and_the_pause_is_a_minute() {
        let policy = CodePolicy::default();
        let sign_in = policy.send_limits("a@x.example", "sign_in", "10.0.0.1");
        let register = policy.send_limits("a@x.example", "register", "10.0.0.1");
        assert_eq!(sign_in[0].0.max, 1);
        assert_eq!(sign_in[0].0.window_ms, MINUTE_MS);
        assert_eq!(sign_in[0].1, SendLimit::Pause);
        assert_eq!((sign_in[1].0.max, sign_in[2].0.max), (5, 20));
        // Address counters differ by purpose; the client's are shared.
        assert_ne!(sign_in[1].0.name, register[1].0.name);
        assert_eq!(sign_in[3].0.name, register[3].0.name);
    }
}
