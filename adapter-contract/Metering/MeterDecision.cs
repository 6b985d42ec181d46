namespace Billing.Metering;

public enum Verdict
{
    Allowed = 0,
    Denied = 1,
}

public enum DenialReason
{
    None = 0,

    /// <summary>C5: neither the app's paid balance nor the workspace's free credits cover the session.</summary>
    NoCredits = 1,

    /// <summary>B8: the plan's allowed requests for the period are used up.</summary>
    RequestLimit = 2,

    /// <summary>The app id is not registered.</summary>
    UnknownApp = 3,

    /// <summary>The message itself is malformed (a field is missing or too long); see the adapter's logs.</summary>
    InvalidMessage = 4,
}

/// <summary>
/// The answer to "may this app answer, and what does it cost?" for one message. When
/// <see cref="OpenedBillingSession"/> is true, this message opened a 15-minute billing session and
/// <see cref="ChargedUsd"/> was charged for it (split into <see cref="PaidUsd"/> and <see cref="FreeUsd"/>, C4).
/// </summary>
[GenerateSerializer, Immutable, Alias("billing.metering.decision")]
public sealed record MeterDecision(
    [property: Id(0)] string MessageId,
    [property: Id(1)] Verdict Verdict,
    [property: Id(2)] DenialReason Reason,
    [property: Id(3)] string? ConversationSessionId,
    [property: Id(4)] string? BillingSessionId,
    [property: Id(5)] bool OpenedBillingSession,
    [property: Id(6)] decimal ChargedUsd,
    [property: Id(7)] decimal PaidUsd,
    [property: Id(8)] decimal FreeUsd)
{
    public bool IsAllowed => Verdict == Verdict.Allowed;
}
