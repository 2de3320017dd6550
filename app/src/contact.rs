//! Where a message goes: an email address or a phone number, and the channel that reaches it.
//! Shared by verification codes, notices and the delivery queue.
use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// How a message travels.
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

impl From<&AddressError> for crate::messages::Msg {
    fn from(error: &AddressError) -> Self {
        use crate::messages::Msg;
        match error {
            AddressError::BadEmail => Msg::EmailFormat,
            AddressError::BadPhone => Msg::PhoneFormat,
            AddressError::Empty => Msg::EnterAddress,
        }
    }
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
