//! Verification codes: what they are for, where they go, and what a valid input looks like.
use serde::{Deserialize, Serialize};
use std::str::FromStr;

/// What a code proves. A code issued for one purpose is useless for any other.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Purpose {
    Register,
    SignIn,
    ResetPassword,
    VerifyCurrentEmail,
    VerifyNewEmail,
    VerifyCurrentPhone,
    VerifyNewPhone,
    TransferOwnership,
}

impl Purpose {
    pub const ALL: [Purpose; 8] = [
        Purpose::Register,
        Purpose::SignIn,
        Purpose::ResetPassword,
        Purpose::VerifyCurrentEmail,
        Purpose::VerifyNewEmail,
        Purpose::VerifyCurrentPhone,
        Purpose::VerifyNewPhone,
        Purpose::TransferOwnership,
    ];

    /// The code stored in the database and used in forms.
    pub fn code(self) -> &'static str {
        match self {
            Purpose::Register => "register",
            Purpose::SignIn => "sign_in",
            Purpose::ResetPassword => "reset_password",
            Purpose::VerifyCurrentEmail => "verify_current_email",
            Purpose::VerifyNewEmail => "verify_new_email",
            Purpose::VerifyCurrentPhone => "verify_current_phone",
            Purpose::VerifyNewPhone => "verify_new_phone",
            Purpose::TransferOwnership => "transfer_ownership",
        }
    }

    /// The channel a purpose is bound to, if any (changing an email is proved by email).
    pub fn channel(self) -> Option<Channel> {
        match self {
            Purpose::VerifyCurrentEmail | Purpose::VerifyNewEmail => Some(Channel::Email),
            Purpose::VerifyCurrentPhone | Purpose::VerifyNewPhone => Some(Channel::Sms),
            Purpose::Register
            | Purpose::SignIn
            | Purpose::ResetPassword
            | Purpose::TransferOwnership => None,
        }
    }
}

impl FromStr for Purpose {
    type Err = ();

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Purpose::ALL.into_iter().find(|p| p.code() == s).ok_or(())
    }
}

pub use crate::contact::{Address, AddressError, Channel};

/// The number of digits in a verification code.
pub const CODE_LENGTH: usize = 6;

/// What the user typed into a code field, if it has the shape of a code.
pub fn parse_code(input: &str) -> Option<String> {
    let code: String = input.chars().filter(|c| !c.is_whitespace()).collect();
    (code.len() == CODE_LENGTH && code.chars().all(|c| c.is_ascii_digit())).then_some(code)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails_are_normalised() {
        let a = Address::email("  Finance@Example.COM ").expect("valid");
        for good in [
            "first.last+tag@mail.example.com",
            "o'brien@x.cn",
            "财务@例子.中国",
        ] {
            assert!(Address::email(good).is_ok(), "{good}");
        }
        assert_eq!(a.as_str(), "finance@example.com");
        assert_eq!(a.channel(), Channel::Email);
        for bad in [
            "",
            "finance",
            "a@b",
            "a@@b.com",
            "a b@c.com",
            "@example.com",
            "a@.com",
            "a@b..com",
            "a@x.com <b@y.com>",
            "\"b@y.com\"@x.com",
            "a,b@x.com",
            "a@x.com,b@y.com",
            "(c)a@x.com",
            ".a@x.com",
            "a..b@x.com",
            "a@-x.com",
            "a@x_y.com",
            "a\0@x.com",
        ] {
            assert_eq!(Address::email(bad), Err(AddressError::BadEmail), "{bad:?}");
        }
    }

    #[test]
    fn phones_become_e164() {
        assert_eq!(
            Address::phone("138 0013 8000").expect("cn").as_str(),
            "+8613800138000"
        );
        assert_eq!(
            Address::phone("+1 (415) 555-0100").expect("us").as_str(),
            "+14155550100"
        );
        assert_eq!(
            Address::phone("0044 20 7946 0958").expect("uk").as_str(),
            "+442079460958"
        );
        for bad in [
            "12345",
            "phone",
            "+0123456789",
            "4155550100",
            "+1234567890123456",
        ] {
            assert_eq!(Address::phone(bad), Err(AddressError::BadPhone), "{bad:?}");
        }
    }

    #[test]
    fn one_field_takes_either() {
        assert_eq!(
            Address::parse("a@b.cn").expect("email").channel(),
            Channel::Email
        );
        assert_eq!(
            Address::parse("13800138000").expect("phone").channel(),
            Channel::Sms
        );
        assert_eq!(Address::parse("  "), Err(AddressError::Empty));
    }

    #[test]
    fn masks_hide_the_middle() {
        assert_eq!(
            Address::email("finance@example.com")
                .expect("valid")
                .masked(),
            "fi***@example.com"
        );
        assert_eq!(
            Address::phone("13800138000").expect("valid").masked(),
            "+86****8000"
        );
    }

    #[test]
    fn codes_are_six_digits() {
        assert_eq!(parse_code(" 123 456 ").as_deref(), Some("123456"));
        assert_eq!(parse_code("12345"), None);
        assert_eq!(parse_code("12345a"), None);
        assert_eq!(parse_code("1234567"), None);
    }

    #[test]
    fn purposes_round_trip() {
        for purpose in Purpose::ALL {
            assert_eq!(purpose.code().parse::<Purpose>(), Ok(purpose));
        }
    }
}
