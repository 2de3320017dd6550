//! Billing Center: pages, components and server functions shared by the server and the browser.
//!
//! Code that only the server may run (database, configuration, mail) sits behind the `ssr`
//! feature; the browser bundle is built with `hydrate`.
#![recursion_limit = "256"]

/// Items only the server compiles (database, configuration, mail): each gets
/// `#[cfg(feature = "ssr")]`, so an area's module list says once which of its parts stay off
/// the browser bundle.
#[macro_export]
macro_rules! server_only {
    ($($item:item)*) => { $( #[cfg(feature = "ssr")] $item )* };
}

/// A kind or status with the code the database and the address bar spell it in: the enum,
/// `ALL`, `code()`, `from_code()`, and `TryFrom<String>` for reading it from a row.
#[macro_export]
macro_rules! coded_enum {
    ($(#[$doc:meta])* $vis:vis enum $name:ident {
        $( $(#[$vdoc:meta])* $variant:ident => $code:literal ),+ $(,)?
    }) => {
        $(#[$doc])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
        $vis enum $name { $( $(#[$vdoc])* $variant ),+ }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            pub fn code(self) -> &'static str {
                match self { $($name::$variant => $code),+ }
            }

            pub fn from_code(code: &str) -> Option<Self> {
                Self::ALL.iter().copied().find(|v| v.code() == code)
            }
        }

        impl TryFrom<String> for $name {
            type Error = String;

            fn try_from(code: String) -> Result<Self, String> {
                Self::from_code(&code)
                    .ok_or_else(|| format!(concat!("no ", stringify!($name), " {:?}"), code))
            }
        }
    };
}

pub mod accounts;
pub mod app;
pub mod cloud_accounts;
pub mod contact;
pub mod dev_clock;
pub mod error;
pub mod funds;
pub mod ledger;
pub mod messages;
pub mod metering;
pub mod money;
pub mod operators;
pub mod outbox;
pub mod overview;
pub mod preferences;
pub mod team;
pub mod text;
pub mod time;
pub mod ui;
pub mod verification;
pub mod workspaces;
server_only! {
    pub mod config;
    pub mod demo;
    pub mod edge;
    pub mod housekeeping;
    pub mod schedule;
    pub mod server;
    pub mod state;
}

include!(concat!(env!("OUT_DIR"), "/i18n/mod.rs"));

pub use app::{shell, App, SiteInfo};
