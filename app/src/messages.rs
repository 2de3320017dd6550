//! What the server tells a user (a field error, a refusal), as a translation key with its
//! values: the browser shows it in the reader's language like every other text, and a Chinese
//! page never shows an English error. Each message names its key in `locales/*.json`; the build
//! fails when a key is missing from a locale, so no message goes untranslated.
use crate::i18n::Locale;
use serde::{Deserialize, Serialize};

/// Declares the messages: `Variant => locale_key` or `Variant { value, .. } => locale_key` where
/// the locale text interpolates `{{ value }}`.
macro_rules! messages {
    ($( $(#[$doc:meta])* $variant:ident $( { $($arg:ident),* } )? => $key:ident ),* $(,)?) => {
        #[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
        #[serde(tag = "key", content = "values", rename_all = "snake_case")]
        pub enum Msg {
            $( $(#[$doc])* $variant $( { $($arg: String),* } )? ),*
        }

        impl Msg {
            /// The message in `locale`.
            pub fn text(&self, locale: Locale) -> String {
                use crate::i18n::*;
                match self {
                    $( Msg::$variant $( { $($arg),* } )? => {
                        td_string!(locale, $key $(, $($arg = $arg.clone()),* )?).to_string()
                    } ),*
                }
            }
        }
    };
}

messages! {
    // Failures that carry no message of their own
    SignInFirst => err_sign_in_first,
    NotFound => err_not_found,
    Busy => err_busy,
    Internal => err_internal,
    // The development clock
    ClockDays => err_clock_days,
    ClockHours => err_clock_hours,
    ClockNoMove => err_clock_no_move,
    ClockTooFar => err_clock_too_far,
    Unreachable => err_unreachable,
    // Money and amounts
    EnterAmount => err_enter_amount,
    UnknownCurrency => err_unknown_currency,
    AmountFormat => err_amount_format,
    AmountTooPrecise { places } => err_amount_too_precise,
    AmountTooLarge => err_amount_too_large,
    AmountNotPositive => err_amount_not_positive,
    AmountRange { min, max } => err_amount_range,
    WholeCardAmount => err_whole_card_amount,
    CardMultiple => err_card_multiple,
    CashNotEnough => err_cash_not_enough,
    AlreadyDone => err_already_done,
    PurchaseAlreadyMade => err_purchase_already_made,
    OnlineRechargeUnavailable => err_online_recharge_unavailable,
    BalanceTooLarge => err_balance_too_large,
    BalanceNotEnough => err_balance_not_enough,
    // Lists and filters
    DateFormat => err_date_format,
    // The price list
    PriceTableLine { line } => err_price_table_line,
    PriceTableUnknown { item } => err_price_table_unknown,
    PriceTableRepeated { item } => err_price_table_repeated,
    PriceTableMissing { item } => err_price_table_missing,
    PriceVersionTooEarly { day } => err_price_version_too_early,
    PriceVersionExists => err_price_version_exists,
    PriceNoteTooLong => err_price_note_too_long,
    UnsettledUsage => err_unsettled_usage,
    ChooseType => err_choose_type,
    ChooseStatus => err_choose_status,
    // Activation codes
    EnterActivationCode => err_enter_activation_code,
    CodeInvalid => err_code_invalid,
    CodeAlreadyActivated => err_code_already_activated,
    CodeExpired => err_code_expired,
    CodeOtherCurrency => err_code_other_currency,
    TooManyWrongCodes => err_too_many_wrong_codes,
    BatchSize { max } => err_batch_size,
    // Addresses (email and mobile number)
    EnterAddress => err_enter_address,
    EmailFormat => err_email_format,
    PhoneFormat => err_phone_format,
    PhoneCountryNotAllowed { codes } => err_phone_country_not_allowed,
    // Accounts and sign-in
    UnknownPurpose => err_unknown_purpose,
    EnterPassword => err_enter_password,
    WrongCredentials => err_wrong_credentials,
    TooManyFailedSignIns => err_too_many_failed_sign_ins,
    AtLeastCharacters { min } => err_at_least_characters,
    AtMostCharacters { max } => err_at_most_characters,
    PasswordTooCommon => err_password_too_common,
    EnterCompanyName => err_enter_company_name,
    ChooseSite => err_choose_site,
    AccountExists => err_account_exists,
    TooManyWrongPasswords => err_too_many_wrong_passwords,
    CurrentPasswordWrong => err_current_password_wrong,
    ConfirmCurrentAddressFirst => err_confirm_current_address_first,
    AlreadyYourAddress => err_already_your_address,
    TooManyNewAddresses => err_too_many_new_addresses,
    AddressTaken => err_address_taken,
    ChannelUnavailable => err_channel_unavailable,
    MessageDelayed => err_message_delayed,
    // Verification codes
    CodeSentRecently { seconds } => err_code_sent_recently,
    TooManyCodesRequested { seconds } => err_too_many_codes_requested,
    WrongCode { attempts_left } => err_wrong_code,
    WrongCodeLastAttempt => err_wrong_code_last_attempt,
    TooManyCodeAttempts => err_too_many_code_attempts,
    VerificationCodeExpired => err_verification_code_expired,
    CodeAlreadyUsed => err_code_already_used,
    NoCodeSent => err_no_code_sent,
    // Operator console
    OperatorsOnly => err_operators_only,
    NoAccountWithEmail { email } => err_no_account_with_email,
    SearchTooLong { max } => err_search_too_long,
    OperatorAmountMax { max } => err_operator_amount_max,
    NotABillingItem { item, items } => err_not_a_billing_item,
    DaysRange { max } => err_days_range,
    EnterBankReference => err_enter_bank_reference,
    ReceivedOnDate => err_received_on_date,
    TransferAlreadyRecorded => err_transfer_already_recorded,
    ChooseVoucherKind => err_choose_voucher_kind,
    EnterCodeQuantity => err_enter_code_quantity,
    CodesExpireOnDate => err_codes_expire_on_date,
    NoteTooLong => err_note_too_long,
    // Team access
    RoleOwner => role_owner,
    RoleFinance => role_finance,
    RoleOperations => role_operations,
    RoleViewer => role_viewer,
    UnknownRole => err_unknown_role,
    RoleMayNot => err_role_may_not,
    NoBillingAccount => err_no_billing_account,
    InvitationInvalid => err_invitation_invalid,
    InvitationExpired => err_invitation_expired,
    InvitationUsed => err_invitation_used,
    InvitationNotYours { address } => err_invitation_not_yours,
    AlreadyMember => err_already_member,
    LastOwner => err_last_owner,
    NotAMember => err_not_a_member,
    TooManyInvitations { seconds } => err_too_many_invitations,
    TransferToOwnerAlready => err_transfer_to_owner_already,
    OwnerOnlyByHandOver => err_owner_only_by_hand_over,
    // Workspaces
    BindProofMalformed => err_bind_proof_malformed,
    BindProofUnknown => err_bind_proof_unknown,
    BindProofForged => err_bind_proof_forged,
    BindProofExpired => err_bind_proof_expired,
    BindProofTooLong => err_bind_proof_too_long,
    BindProofUsed => err_bind_proof_used,
    EnterWorkspaceId => err_enter_workspace_id,
    EnterBindCode => err_enter_bind_code,
    WorkspaceBoundElsewhere => err_workspace_bound_elsewhere,
    WorkspaceAlreadyYours => err_workspace_already_yours,
    WorkspaceCurrency { site, currency } => err_workspace_currency,
    UnbindLocked => err_unbind_locked,
    UnbindUnsettled => err_unbind_unsettled,
    ChooseWorkspaceState => err_choose_workspace_state,
    ConfirmUnbind => err_confirm_unbind,
    EnterLockReason => err_enter_lock_reason,
    WorkspaceAlreadyLocked => err_workspace_already_locked,
    WorkspaceNotLocked => err_workspace_not_locked,
    // Settlement methods and cloud accounts
    ChooseSettlement => err_choose_settlement,
    ChooseCloud => err_choose_cloud,
    ConfirmSettlement => err_confirm_settlement,
    SettlementUnchanged => err_settlement_unchanged,
    SettlementOncePerMonth { day } => err_settlement_once_per_month,
    NoOtherSettlement => err_no_other_settlement,
    CloudAccountNotActive => err_cloud_account_not_active,
    CloudAccountWrongCloud { site } => err_cloud_account_wrong_cloud,
    CancelCloudAccountFirst => err_cancel_cloud_account_first,
    CloudLinkInvalid => err_cloud_link_invalid,
    CloudAccountLinkedElsewhere => err_cloud_account_linked_elsewhere,
    // Sites, preferences and the edge
    ChooseCurrency => err_choose_currency,
    ChooseLanguage => err_choose_language,
    ControlCharacters => err_control_characters,
}

impl Msg {
    /// The message in English, for logs and plain-text answers.
    pub fn english(&self) -> String {
        self.text(Locale::en)
    }
}

impl std::fmt::Display for Msg {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.english())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_cross_the_wire_as_keys_and_read_in_each_language() {
        let message = Msg::AmountRange {
            min: "1".into(),
            max: "1000000".into(),
        };
        let wire = serde_json::to_string(&message).expect("json");
        assert_eq!(
            wire,
            r#"{"key":"amount_range","values":{"min":"1","max":"1000000"}}"#
        );
        assert_eq!(serde_json::from_str::<Msg>(&wire).expect("back"), message);
        assert!(message.text(Locale::en).contains("1000000"));
        assert!(message.text(Locale::zh).contains("1000000"));
        assert_ne!(message.text(Locale::en), message.text(Locale::zh));
    }
}
