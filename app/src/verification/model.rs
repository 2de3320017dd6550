//! Verification codes: what they are for, where they go, and what a valid input looks like.
use serde::{Deserialize, Serialize};
use std::fmt;
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
}

impl Purpose {
    pub const ALL: [Purpose; 7] = [
        Purpose::Register,
        Purpose::SignIn,
        Purpose::ResetPassword,
        Purpose::VerifyCurrentEmail,
        Purpose::VerifyNewEmail,
        Purpose::VerifyCurrentPhone,
        Purpose::VerifyNewPhone,
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
        }
    }

    /// The channel a purpose is bound to, if any (changing an email is proved by email).
    pub fn channel(self) -> Option<Channel> {
        match self {
            Purpose::VerifyCurrentEmail | Purpose::VerifyNewEmail => Some(Channel::Email),
            Purpose::VerifyCurrentPhone | Purpose::VerifyNewPhone => Some(Channel::Sms),
            Purpose::Register | Purpose::SignIn | Purpose::ResetPassword => None,
        }
    }
}

impl FromStr for Purpose {
    type Err = ();

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Purpose::ALL.into_iter().find(|p| p.code() == s).ok_or(())
    }
}

/// How a code travels.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Channel {
    Email,
    Sms,
}

impl Channel {
    pub fn code(self) -> &'static str {
        match self {
            Channel::Email => "email",
            Channel::Sms => "sms",
        }
    }
}

impl FromStr for Channel {
    type Err = ();

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "email" => Ok(Channel::Email),
            "sms" => Ok(Channel::Sms),
            _ => Err(()),
        }
    }
}

/// An email address or a phone number in its one stored form: emails trimmed and lower-cased,
/// phone numbers in E.164 (`+8613800138000`). Two spellings of one address compare equal.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Address {
    channel: Channel,
    value: String,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum AddressError {
    #[error("Enter an email address like name@company.com")]
    BadEmail,
    #[error("Enter a mobile number, with the country code if it is not a Chinese number")]
    BadPhone,
    #[error("Enter an email address or a mobile number")]
    Empty,
}

impl Address {
    /// A plain `local@domain` address, at most 254 characters: the local part of letters,
    /// digits and `.!#$%&'*+/=?^_`{|}~-` (no quotes, no dots at its ends or twice), the domain
    /// dotted labels of letters, digits and hyphens. No display names, angle brackets, commas
    /// or comments: a mailer would resolve "a@x.com <b@y.com>" to someone else's mailbox.
    pub fn email(input: &str) -> Result<Self, AddressError> {
        let value = input.trim().to_lowercase();
        let local_char = |c: char| c.is_alphanumeric() || "!#$%&'*+/=?^_`{|}~-.".contains(c);
        let label_ok = |label: &str| {
            !label.is_empty()
                && label.len() <= 63
                && !label.starts_with('-')
                && !label.ends_with('-')
                && label.chars().all(|c| c.is_alphanumeric() || c == '-')
        };
        let valid = value.len() <= 254
            && match value.split_once('@') {
                Some((local, domain)) => {
                    !local.is_empty()
                        && local.len() <= 64
                        && local.chars().all(local_char)
                        && !local.starts_with('.')
                        && !local.ends_with('.')
                        && !local.contains("..")
                        && domain.contains('.')
                        && domain.split('.').all(label_ok)
                }
                None => false,
            };
        if valid {
            Ok(Self {
                channel: Channel::Email,
                value,
            })
        } else {
            Err(AddressError::BadEmail)
        }
    }

    /// A mobile number. Spaces, dashes and brackets are ignored; an 11-digit number starting
    /// with 1 is a Chinese mobile number (+86); otherwise the country code is required.
    pub fn phone(input: &str) -> Result<Self, AddressError> {
        let trimmed = input.trim();
        let (plus, rest) = match trimmed.strip_prefix('+') {
            Some(rest) => (true, rest),
            None => match trimmed.strip_prefix("00") {
                Some(rest) => (true, rest),
                None => (false, trimmed),
            },
        };
        let mut digits = String::new();
        for c in rest.chars() {
            match c {
                '0'..='9' => digits.push(c),
                ' ' | '-' | '(' | ')' | '.' => {}
                _ => return Err(AddressError::BadPhone),
            }
        }
        let value = if plus {
            format!("+{digits}")
        } else if digits.len() == 11 && digits.starts_with('1') {
            format!("+86{digits}")
        } else {
            return Err(AddressError::BadPhone);
        };
        // E.164: a country code that does not start with 0, 8 to 15 digits in all.
        let number = &value[1..];
        if (8..=15).contains(&number.len()) && !number.starts_with('0') {
            Ok(Self {
                channel: Channel::Sms,
                value,
            })
        } else {
            Err(AddressError::BadPhone)
        }
    }

    /// An address as the database holds it (normalised when it was first accepted, maybe under
    /// older rules): taken as it is, so an existing account always reaches its own address.
    pub fn stored(channel: Channel, value: String) -> Self {
        Self { channel, value }
    }

    /// Whatever a sign-in form's single "email or phone" field holds.
    pub fn parse(input: &str) -> Result<Self, AddressError> {
        let input = input.trim();
        if input.is_empty() {
            Err(AddressError::Empty)
        } else if input.contains('@') {
            Self::email(input)
        } else {
            Self::phone(input)
        }
    }

    pub fn channel(&self) -> Channel {
        self.channel
    }

    pub fn as_str(&self) -> &str {
        &self.value
    }

    /// The address with most of it hidden, for messages and logs ("ch***@example.com").
    pub fn masked(&self) -> String {
        match self.channel {
            Channel::Email => {
                let (local, domain) = self.value.split_once('@').unwrap_or((&self.value, ""));
                let shown: String = local.chars().take(2).collect();
                format!("{shown}***@{domain}")
            }
            Channel::Sms => {
                let chars: Vec<char> = self.value.chars().collect();
                let tail: String = chars[chars.len().saturating_sub(4)..].iter().collect();
                let head: String = chars.iter().take(3).collect();
                format!("{head}****{tail}")
            }
        }
    }
}

impl fmt::Display for Address {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.value)
    }
}

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
