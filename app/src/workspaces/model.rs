use crate::money::Currency;
use serde::{Deserialize, Serialize};
use std::str::FromStr;

/// The cloud whose marketplace can settle a workspace's bills (spec section 4).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Cloud {
    Aliyun,
    Aws,
    Huawei,
}

impl Cloud {
    /// The code stored in the database.
    pub fn code(self) -> &'static str {
        match self {
            Cloud::Aliyun => "aliyun",
            Cloud::Aws => "aws",
            Cloud::Huawei => "huawei",
        }
    }
}

impl FromStr for Cloud {
    type Err = ();

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "aliyun" => Ok(Cloud::Aliyun),
            "aws" => Ok(Cloud::Aws),
            "huawei" => Ok(Cloud::Huawei),
            _ => Err(()),
        }
    }
}

/// A deployment of the observability product that workspaces live on. Sites are data (a
/// migration seeds the known ones), so a new site needs no code change.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Site {
    /// "CN1", "US1", ...
    pub code: String,
    /// Where it runs, in English ("Hangzhou").
    pub location: String,
    /// The cloud the site runs on, whose marketplace may settle its workspaces.
    pub cloud: Option<Cloud>,
    /// Domestic sites settle in CNY, international ones in USD.
    pub currency: Currency,
}
