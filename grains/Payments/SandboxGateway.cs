using System.Globalization;
using Azure;
using Azure.Data.Tables;
using Billing.Errors;
using Billing.Rules;
using Billing.Storage.Shared;
using Microsoft.Extensions.Options;

namespace Billing.Payments;

/// <summary>
/// The sandbox gateway: the product's test mode, as every billing platform has one. Test card numbers and PayPal
/// sandbox accounts choose the outcome (table in docs/payments.md). Tokens name the behaviour, never the number.
/// Charges are recorded durably by idempotency key (table <c>SandboxCharges</c>), so a repeated key answers the first
/// charge, also from another silo after a crash, exactly as a real gateway's idempotency does.
/// </summary>
public sealed class SandboxGateway(PaymentTables tables, BillingClock clock, IOptions<PaymentsOptions> options) : IPaymentGateway
{
    /// <summary>How a sandbox method behaves when charged.</summary>
    public enum Behaviour
    {
        Succeeds,
        Declines,
        InsufficientFunds,
        Expired,
        OtpFails,
        SlowAnswer,
    }

    /// <summary>The test cards: number → behaviour (docs/payments.md).</summary>
    public static readonly IReadOnlyDictionary<string, Behaviour> TestCards = new Dictionary<string, Behaviour>
    {
        ["4242424242424242"] = Behaviour.Succeeds,
        ["5555555555554444"] = Behaviour.Succeeds,
        ["4000000000000002"] = Behaviour.Declines,
        ["4000000000009995"] = Behaviour.InsufficientFunds,
        ["4000000000000069"] = Behaviour.Expired,
        ["4000000000003063"] = Behaviour.OtpFails,
        ["4000000000000077"] = Behaviour.SlowAnswer,
    };

    /// <summary>The PayPal sandbox accounts: email → behaviour (docs/payments.md).</summary>
    public static readonly IReadOnlyDictionary<string, Behaviour> TestPayPalAccounts = new Dictionary<string, Behaviour>(StringComparer.OrdinalIgnoreCase)
    {
        ["buyer@sandbox.paypal.test"] = Behaviour.Succeeds,
        ["declined@sandbox.paypal.test"] = Behaviour.Declines,
        ["no-funds@sandbox.paypal.test"] = Behaviour.InsufficientFunds,
        ["expired@sandbox.paypal.test"] = Behaviour.Expired,
        ["slow@sandbox.paypal.test"] = Behaviour.SlowAnswer,
    };

    private const string Partition = "charges";

    public Task<TokenizedMethod> TokenizeCard(NewCard card, CancellationToken cancellationToken = default)
    {
        var digits = PaymentRules.NormalizeCardNumber(card.Number ?? "");
        if (!PaymentRules.PassesLuhn(digits))
            throw BillingException.Invalid("card.number", "card.number.invalid", "The card number is not valid.");
        if (!TestCards.TryGetValue(digits, out var behaviour))
            throw BillingException.Invalid("card.number", "card.number.not-a-test-card", "The sandbox accepts only its test card numbers (docs/payments.md).");
        if (string.IsNullOrWhiteSpace(card.Holder) || card.Holder.Length > 100)
            throw BillingException.Invalid("card.holder", "card.holder.invalid", "The cardholder's name is 1 to 100 characters.");
        if (card.Cvv is not { Length: 3 or 4 } cvv || !cvv.All(char.IsAsciiDigit))
            throw BillingException.Invalid("card.cvv", "card.cvv.invalid", "The CVV is 3 or 4 digits.");
        if (!PaymentRules.IsValidExpiry(card.ExpiryMonth, card.ExpiryYear))
            throw BillingException.Invalid("card.expiryMonth", "card.expiry.invalid", "The expiry is a month (1-12) and a four-digit year.");
        if (PaymentRules.ExpiresAt(card.ExpiryMonth, card.ExpiryYear) <= clock.UtcNow)
            throw BillingException.Invalid("card.expiryYear", "card.expired", "The card has expired.");
        var token = $"tok_sbx_{behaviour.ToString().ToLowerInvariant()}_{Guid.NewGuid():N}";
        return Task.FromResult(new TokenizedMethod(token, PaymentRules.Brand(digits), digits[^4..], card.ExpiryMonth, card.ExpiryYear));
    }

    public Task<TokenizedMethod> LinkPayPal(string email, CancellationToken cancellationToken = default)
    {
        if (string.IsNullOrWhiteSpace(email) || !TestPayPalAccounts.TryGetValue(email.Trim(), out var behaviour))
            throw BillingException.Invalid("payPalEmail", "paypal.not-a-sandbox-account", "The sandbox accepts only its PayPal sandbox accounts (docs/payments.md).");
        return Task.FromResult(new TokenizedMethod($"pp_sbx_{behaviour.ToString().ToLowerInvariant()}_{Guid.NewGuid():N}", "PayPal", null, null, null));
    }

    public Task<bool> VerifyOtp(string token, string paymentId, string code, CancellationToken cancellationToken = default) =>
        Task.FromResult(BehaviourOf(token) != Behaviour.OtpFails && code == options.Value.Sandbox.Otp);

    public async Task<ChargeResult> Charge(string idempotencyKey, string token, decimal amountUsd, string description, CancellationToken cancellationToken = default)
    {
        var rowKey = TableKeys.Bounded(idempotencyKey);
        var existing = await tables.SandboxCharges.GetEntityIfExistsAsync<TableEntity>(Partition, rowKey, cancellationToken: cancellationToken);
        if (existing.HasValue && existing.Value is { } stored)
            return Read(stored);

        var behaviour = BehaviourOf(token);
        var result = behaviour switch
        {
            Behaviour.Declines => new ChargeResult(ChargeOutcome.Declined, null, "The card issuer declined the charge."),
            Behaviour.InsufficientFunds => new ChargeResult(ChargeOutcome.InsufficientFunds, null, "Insufficient funds."),
            Behaviour.Expired => new ChargeResult(ChargeOutcome.Expired, null, "The payment method has expired."),
            _ => new ChargeResult(ChargeOutcome.Succeeded, $"ch_sbx_{Guid.NewGuid():N}", null),
        };
        var row = new TableEntity(Partition, rowKey)
        {
            ["Outcome"] = result.Outcome.ToString(),
            ["ChargeId"] = result.ChargeId,
            ["Message"] = result.Message,
            ["AmountUsd"] = amountUsd.ToString(CultureInfo.InvariantCulture),
            ["Description"] = description,
            ["At"] = clock.UtcNow,
        };
        try
        {
            await tables.SandboxCharges.AddEntityAsync(row, cancellationToken);
        }
        catch (RequestFailedException e) when (e.Status == 409)
        {
            // The same key was charged concurrently (another silo): that charge is the one.
            var winner = await tables.SandboxCharges.GetEntityAsync<TableEntity>(Partition, rowKey, cancellationToken: cancellationToken);
            return Read(winner.Value);
        }

        // The "slow" account: the charge is made, then the answer takes long. Lets tests kill a silo between the
        // charge and its credit; a retry with the same key is answered at once from the record above.
        if (behaviour == Behaviour.SlowAnswer)
            await Task.Delay(options.Value.Sandbox.SlowAnswerDelay, cancellationToken);
        return result;
    }

    /// <summary>How many charges the sandbox made under keys starting with <paramref name="keyPrefix"/> (for tests and operators).</summary>
    public static async Task<int> CountChargesAsync(TableClient sandboxCharges, string keyPrefix, CancellationToken cancellationToken = default)
    {
        var count = 0;
        var prefix = TableKeys.Escape(keyPrefix);
        await foreach (var row in sandboxCharges.QueryAsync<TableEntity>(e => e.PartitionKey == Partition, cancellationToken: cancellationToken))
        {
            if (row.RowKey.StartsWith(prefix, StringComparison.Ordinal) && row.GetString("Outcome") == nameof(ChargeOutcome.Succeeded))
                count++;
        }

        return count;
    }

    private static ChargeResult Read(TableEntity row) =>
        new(Enum.Parse<ChargeOutcome>(row.GetString("Outcome")), row.GetString("ChargeId"), row.GetString("Message"));

    private static Behaviour BehaviourOf(string token)
    {
        var parts = token.Split('_');
        return parts.Length >= 3 && Enum.TryParse<Behaviour>(parts[2], ignoreCase: true, out var b) ? b : Behaviour.Declines;
    }
}
