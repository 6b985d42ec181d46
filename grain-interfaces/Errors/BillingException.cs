namespace Billing.Errors;

/// <summary>What kind of failure a domain error is; the API maps each kind to one HTTP status.</summary>
public enum BillingErrorKind
{
    /// <summary>The input breaks a rule; nothing changed (400).</summary>
    Invalid = 0,

    /// <summary>The target does not exist or the caller may not know that it does (404).</summary>
    NotFound = 1,

    /// <summary>The caller is known but its role does not allow the operation (403).</summary>
    Forbidden = 2,

    /// <summary>The operation collides with the current state, e.g. it already happened (409).</summary>
    Conflict = 3,

    /// <summary>A limit on how often something may be done was reached; <see cref="BillingException.RetryAt"/> says when it is possible again (429).</summary>
    TooManyRequests = 4,
}

/// <summary>
/// The one way a grain reports a domain failure (STYLE.md habit 6). Grains throw it before changing state,
/// so a failed call never leaves a partial write; the API turns it into an RFC 9457 problem detail.
/// </summary>
[GenerateSerializer, Alias("billing.error")]
public sealed class BillingException : Exception
{
    public BillingException(BillingErrorKind kind, string code, string message, string? field = null)
        : base(message)
    {
        Kind = kind;
        Code = code;
        Field = field;
    }

    public BillingException()
    {
    }

    public BillingException(string message) : base(message)
    {
    }

    public BillingException(string message, Exception innerException) : base(message, innerException)
    {
    }

    [Id(0)] public BillingErrorKind Kind { get; init; }

    /// <summary>Stable, machine-readable code, e.g. <c>workspace.exists</c>.</summary>
    [Id(1)] public string Code { get; init; } = "error";

    /// <summary>The input field at fault, in the caller's terms (JSON property name), when one is.</summary>
    [Id(2)] public string? Field { get; init; }

    /// <summary>For <see cref="BillingErrorKind.TooManyRequests"/>: when the refused operation is possible again.</summary>
    [Id(3)] public DateTimeOffset? RetryAt { get; init; }

    public static BillingException Invalid(string field, string code, string message) => new(BillingErrorKind.Invalid, code, message, field);

    public static BillingException NotFound(string code, string message) => new(BillingErrorKind.NotFound, code, message);

    public static BillingException Conflict(string code, string message) => new(BillingErrorKind.Conflict, code, message);

    public static BillingException Forbidden(string code, string message) => new(BillingErrorKind.Forbidden, code, message);

    public static BillingException TooMany(string code, string message, DateTimeOffset retryAt) =>
        new(BillingErrorKind.TooManyRequests, code, message) { RetryAt = retryAt };
}
