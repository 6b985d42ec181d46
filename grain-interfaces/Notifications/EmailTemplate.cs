namespace Billing.Notifications;

/// <summary>
/// Every email the billing system sends (E1): the seed's "System-Triggered Email Templates" table, plus the
/// workspace and subscription emails the other rules need. The name is stored in the outbox, so never rename one.
/// </summary>
public enum EmailTemplate
{
    // Sign-up and sign-in flows
    SignUpConfirmation = 0,
    SignUpConfirmationResend = 1,

    // Workspace (W1, W2)
    WorkspaceCreated = 2,
    MemberInvited = 3,

    // Free plan: first publish (D2)
    FirstPublishAutoApprovalFreeCredits = 4,
    FirstPublishAdminApprovalFreeCredits = 5,
    FirstPublishAutoApprovalPaidCredits = 6,
    FirstPublishAdminApprovalPaidCredits = 7,

    // Standard plan (M1) and order confirmation (U4)
    StandardPlanPurchase = 8,
    StandardPlanAutoReload = 9,
    OrderInvoice = 10,

    // Auto-recharge (A4)
    AutoRechargeEnabled = 11,
    AutoRechargeDisabled = 12,

    // Wallet balance and credits (A5, C2, C5)
    LowBalanceAlert = 13,
    PaidWalletZeroNoFreeCredits = 14,
    PaidWalletZeroFreeCreditsAvailable = 15,
    FreeCreditsExhaustedInactiveApps = 16,
    FreeCreditsExhaustedWorkspaceSummary = 17,

    // Workspace plan switch (W4, W5)
    WorkspacePlanSwitch = 18,
    WorkspacePlanSwitchImpactedApps = 19,

    // Auto-reload failure (A3)
    AutoRechargeFailureCard = 20,
    AutoRechargeFailurePayPal = 21,

    // Payment method expiry (M3)
    PaymentMethodNearingExpiry = 22,
    PaymentMethodExpired = 23,

    // Subscriptions (P3-P5) and support plans
    SubscriptionCancelled = 24,
    SupportPlanPurchase = 25,
    SupportPlanInvoice = 26,
    PlanAutoRenewalNotice = 27,
    PlanRenewalPaymentFailed = 28,
    UsagePlanPurchase = 29,
    SubscriptionModified = 30,
    SubscriptionRenewed = 31,
    SubscriptionLapsed = 32,
}
