//! The rules a verification code lives by (issue #3, item 1), as pure functions of the stored
//! facts and the time, so every rule is tested without a database or a clock.
//!
//! Times are Unix milliseconds, like everything stored.

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

pub const MINUTE_MS: i64 = 60_000;
pub const HOUR_MS: i64 = 60 * MINUTE_MS;
pub const DAY_MS: i64 = 24 * HOUR_MS;

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

/// What is known, at the moment a new code is asked for, about codes sent before.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SendHistory {
    /// When the last code for this address and purpose was sent.
    pub last_for_purpose_at: Option<i64>,
    /// Codes sent to this address (any purpose) in the last hour and day.
    pub address_last_hour: i64,
    pub address_last_day: i64,
    /// Codes asked for from this client address (any target) in the last hour and day.
    pub client_last_hour: i64,
    pub client_last_day: i64,
}

/// Why a new code is not sent now.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum SendRefusal {
    #[error(
        "A code was sent less than a minute ago; you can ask for a new one in {seconds} seconds"
    )]
    TooSoon { seconds: i64 },
    #[error("Too many codes were requested; please try again later")]
    TooMany,
}

impl CodePolicy {
    /// Whether a new code may be sent now.
    pub fn may_send(&self, history: &SendHistory, now: i64) -> Result<(), SendRefusal> {
        if let Some(last) = history.last_for_purpose_at {
            let wait = last + self.resend_after_ms - now;
            if wait > 0 {
                return Err(SendRefusal::TooSoon {
                    seconds: (wait + 999) / 1000,
                });
            }
        }
        if history.address_last_hour >= self.per_address_hour
            || history.address_last_day >= self.per_address_day
            || history.client_last_hour >= self.per_client_hour
            || history.client_last_day >= self.per_client_day
        {
            return Err(SendRefusal::TooMany);
        }
        Ok(())
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
    fn resend_waits_a_minute() {
        let policy = CodePolicy::default();
        let history = SendHistory {
            last_for_purpose_at: Some(NOW),
            ..Default::default()
        };
        assert_eq!(
            policy.may_send(&history, NOW + 1_500),
            Err(SendRefusal::TooSoon { seconds: 59 })
        );
        assert_eq!(policy.may_send(&history, NOW + MINUTE_MS), Ok(()));
    }

    #[test]
    fn caps_per_address_and_client() {
        let policy = CodePolicy::default();
        let at = |history: SendHistory| policy.may_send(&history, NOW);
        assert_eq!(at(SendHistory::default()), Ok(()));
        assert_eq!(
            at(SendHistory {
                address_last_hour: 4,
                address_last_day: 4,
                ..Default::default()
            }),
            Ok(())
        );
        assert_eq!(
            at(SendHistory {
                address_last_hour: 5,
                ..Default::default()
            }),
            Err(SendRefusal::TooMany)
        );
        assert_eq!(
            at(SendHistory {
                address_last_day: 20,
                ..Default::default()
            }),
            Err(SendRefusal::TooMany)
        );
        assert_eq!(
            at(SendHistory {
                client_last_hour: 20,
                ..Default::default()
            }),
            Err(SendRefusal::TooMany)
        );
        assert_eq!(
            at(SendHistory {
                client_last_day: 100,
                ..Default::default()
            }),
            Err(SendRefusal::TooMany)
        );
    }
}
