using Billing.Errors;
using Billing.Notifications;

namespace Billing.Rules;

/// <summary>Rules of payments and cards (M1, M3), free of Orleans so they are unit-tested directly.</summary>
public static class PaymentRules
{
    /// <summary>M3: the first notice goes this long before a card expires.</summary>
    public static readonly TimeSpan ExpiryNoticeLead = TimeSpan.FromDays(30);

    /// <summary>
    /// M1: which method pays an "add funds" request. A stored method named by <paramref name="methodId"/> pays (its kind
    /// is the payment's; a <paramref name="kind"/> given as well must match it). Without an id, the kind asked for, PayPal
    /// when none is (M1's default selection), pays with the app's one stored method of that kind; with none or several
    /// the caller must choose, so the request is refused naming <c>paymentMethodId</c>. A wire transfer uses no method.
    /// </summary>
    public static (PaymentMethodKind Kind, string? MethodId) ChooseMethod(PaymentMethodKind? kind, string? methodId, IReadOnlyCollection<(string Id, PaymentMethodKind Kind)> stored)
    {
        if (kind == PaymentMethodKind.WireTransfer)
        {
            return methodId is null
                ? (PaymentMethodKind.WireTransfer, null)
                : throw BillingException.Invalid("paymentMethodId", "payment.wire.method", "A wire transfer uses no stored method.");
        }

        if (methodId is not null)
        {
            foreach (var method in stored.Where(m => m.Id == methodId))
            {
                return kind is null || kind == method.Kind
                    ? (method.Kind, method.Id)
                    : throw BillingException.Invalid("paymentMethodId", "payment.method.kind", $"Method '{methodId}' is {method.Kind}, not {kind}.");
            }

            throw BillingException.Invalid("paymentMethodId", "payment-method.not-found", $"This app has no payment method '{methodId}'.");
        }

        var wanted = kind ?? PaymentMethodKind.PayPal;
        var candidates = stored.Where(m => m.Kind == wanted).ToList();
        return candidates.Count switch
        {
            1 => (wanted, candidates[0].Id),
            0 => throw BillingException.Invalid("paymentMethodId", "payment-method.required",
                $"Say how to pay: paymentMethodId of a stored card or PayPal method, or method WireTransfer. This app has no stored {wanted} method{(kind is null ? " to use by default" : "")}."),
            _ => throw BillingException.Invalid("paymentMethodId", "payment-method.required",
                $"This app has {candidates.Count} stored {wanted} methods: say which one pays with paymentMethodId."),
        };
    }

    /// <summary>M1: null when <paramref name="amountUsd"/> may be one transaction, else why not.</summary>
    public static string? AmountProblem(decimal amountUsd, decimal minimumUsd, decimal maximumUsd)
    {
        if (amountUsd < minimumUsd)
            return $"A payment is at least ${minimumUsd:0.00}.";
        if (amountUsd > maximumUsd)
            return $"A payment is at most ${maximumUsd:0.00}.";
        if (decimal.Round(amountUsd, 2) != amountUsd)
            return "A payment is in whole cents.";
        return null;
    }

    /// <summary>The Luhn check every card number passes; catches typos before the gateway is asked.</summary>
    public static bool PassesLuhn(string digits)
    {
        if (digits.Length is < 12 or > 19 || !digits.All(char.IsAsciiDigit))
            return false;
        var sum = 0;
        for (var i = 0; i < digits.Length; i++)
        {
            var d = digits[digits.Length - 1 - i] - '0';
            if (i % 2 == 1)
            {
                d *= 2;
                if (d > 9)
                    d -= 9;
            }

            sum += d;
        }

        return sum % 10 == 0;
    }

    /// <summary>Digits only: owners type spaces and dashes.</summary>
    public static string NormalizeCardNumber(string number) => new([.. number.Where(c => c is not (' ' or '-'))]);

    public static string Brand(string digits) => digits switch
    {
        _ when digits.StartsWith('4') => "Visa",
        _ when digits.Length > 1 && digits[0] == '5' && digits[1] is >= '1' and <= '5' => "Mastercard",
        _ when digits.StartsWith("34", StringComparison.Ordinal) || digits.StartsWith("37", StringComparison.Ordinal) => "Amex",
        _ => "Card",
    };

    /// <summary>A card is valid through the last day of its expiry month: it expires at the start of the next month (UTC).</summary>
    public static DateTimeOffset ExpiresAt(int month, int year) => new DateTimeOffset(year, month, 1, 0, 0, 0, TimeSpan.Zero).AddMonths(1);

    public static bool IsValidExpiry(int month, int year) => month is >= 1 and <= 12 && year is >= 2000 and <= 2100;

    /// <summary>M3: when the "nearing expiry" notice is due.</summary>
    public static DateTimeOffset ExpiryNoticeAt(int month, int year) => ExpiresAt(month, year) - ExpiryNoticeLead;
}
