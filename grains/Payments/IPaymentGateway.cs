namespace Billing.Payments;

/// <summary>What a gateway answered to a tokenization: a token and what may be shown of the method, or why not.</summary>
public sealed record TokenizedMethod(string Token, string? Brand, string? Last4, int? ExpiryMonth, int? ExpiryYear);

public enum ChargeOutcome
{
    Succeeded = 0,
    Declined = 1,
    InsufficientFunds = 2,
    Expired = 3,
}

/// <summary>The gateway's answer to a charge; <see cref="ChargeId"/> is its own id of the charge.</summary>
public sealed record ChargeResult(ChargeOutcome Outcome, string? ChargeId, string? Message)
{
    public bool Succeeded => Outcome == ChargeOutcome.Succeeded;
}

/// <summary>
/// The payment-gateway port (SPEC section 2, M1). The silo uses the implementation named by <c>Payments:Gateway</c>;
/// the sandbox ships with the product. Every charge carries an idempotency key: the gateway answers a repeated key
/// with the first charge instead of charging again, which is what makes a crash between charge and credit harmless.
/// </summary>
/// <remarks>
/// A method's card number and CVV go in once, to <see cref="TokenizeCard"/>, and never come back: the product keeps
/// only the token, brand, last 4 and expiry.
/// </remarks>
public interface IPaymentGateway
{
    /// <summary>Tokenizes a card, or throws <see cref="Billing.Errors.BillingException"/> naming the field at fault.</summary>
    Task<TokenizedMethod> TokenizeCard(NewCard card, CancellationToken cancellationToken = default);

    /// <summary>Links a PayPal account (sandbox: approved at once), or throws as <see cref="TokenizeCard"/>.</summary>
    Task<TokenizedMethod> LinkPayPal(string email, CancellationToken cancellationToken = default);

    /// <summary>M1: checks the one-time password the cardholder received for <paramref name="paymentId"/>.</summary>
    Task<bool> VerifyOtp(string token, string paymentId, string code, CancellationToken cancellationToken = default);

    /// <summary>Charges <paramref name="amountUsd"/>; a repeated <paramref name="idempotencyKey"/> answers the first charge.</summary>
    Task<ChargeResult> Charge(string idempotencyKey, string token, decimal amountUsd, string description, CancellationToken cancellationToken = default);
}
