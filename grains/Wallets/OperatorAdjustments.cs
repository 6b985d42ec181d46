using Billing.Errors;
using Billing.Ledgers;

namespace Billing.Wallets;

/// <summary>C7: an operator's grant or adjustment needs a reason, names its operator, and is idempotent on its key.</summary>
public static class OperatorAdjustments
{
    public static void Validate(WalletAdjustment adjustment)
    {
        ArgumentNullException.ThrowIfNull(adjustment);
        if (string.IsNullOrWhiteSpace(adjustment.Reason) || adjustment.Reason.Length > AdjustmentLimits.MaxReasonLength)
            throw BillingException.Invalid("reason", "adjustment.reason.required", $"An adjustment needs a reason of 1 to {AdjustmentLimits.MaxReasonLength} characters (C7).");
        if (adjustment.Kind is not (LedgerEntryKind.Grant or LedgerEntryKind.Adjustment))
            throw BillingException.Invalid("kind", "adjustment.kind.invalid", "An operator posts a Grant or an Adjustment.");
        if (adjustment.AmountUsd == 0m || (adjustment.Kind == LedgerEntryKind.Grant && adjustment.AmountUsd < 0m))
            throw BillingException.Invalid("amountUsd", "adjustment.amount.invalid", "A grant is positive; an adjustment is not zero.");
        if (Math.Abs(adjustment.AmountUsd) > 1_000_000m || decimal.Round(adjustment.AmountUsd, 2) != adjustment.AmountUsd)
            throw BillingException.Invalid("amountUsd", "adjustment.amount.invalid", "Amounts are in cents (two decimals) and at most 1,000,000 USD.");
        if (string.IsNullOrWhiteSpace(adjustment.OperatorId) || string.IsNullOrWhiteSpace(adjustment.IdempotencyKey) || adjustment.IdempotencyKey.Length > 200)
            throw BillingException.Invalid("idempotencyKey", "adjustment.key.invalid", "An adjustment names its operator and carries an idempotency key of at most 200 characters.");
    }

    public static Posting ToPosting(string account, WalletAdjustment a, DateTimeOffset now) =>
        Posting.OneLeg(account, a.Kind, a.AmountUsd, now, $"operator:{a.OperatorId}", reason: a.Reason.Trim(), idempotencyKey: $"op:{a.IdempotencyKey}");

    public static LedgerEntry Entry(PostingResult result, string account) => result.Status switch
    {
        PostingStatus.Insufficient => throw BillingException.Invalid("amountUsd", "adjustment.amount.exceeds-balance", "The adjustment would take the balance below zero (C6)."),
        _ => result.Entries.Single(e => e.Account == account),
    };
}
