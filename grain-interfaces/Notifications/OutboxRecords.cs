namespace Billing.Notifications;

/// <summary>E3: where one email of the outbox stands.</summary>
public enum OutboxStatus
{
    /// <summary>Waiting for its first or next delivery attempt (<see cref="OutboxMessageView.NextAttemptAt"/>).</summary>
    Pending = 0,

    /// <summary>Accepted by the SMTP server (or written to the pickup folder).</summary>
    Sent = 1,

    /// <summary>Gave up: the last attempt failed, or the recipient has no known address. An operator may retry it.</summary>
    Dead = 2,

    /// <summary>
    /// Handed to the mail server, but its outcome was never recorded (the silo stopped or storage failed mid-send): it
    /// may have been delivered, so it is not sent again on its own. An operator retries it if the recipient did not get it.
    /// </summary>
    Unconfirmed = 3,
}

/// <summary>The outbox is split into a fixed number of shards by a hash of the event id.</summary>
public static class OutboxShards
{
    /// <summary>
    /// Fixed for the life of the data: an event id must always land in the same shard, or a retried event would not
    /// find its first copy (E2). Changing it needs a migration of the outbox table.
    /// </summary>
    public const int Count = 8;

    public const int MaxListLimit = 500;

    private static readonly System.Buffers.SearchValues<char> LowerHex = System.Buffers.SearchValues.Create("0123456789abcdef");

    /// <summary>16 hex digits of the SHA-256 of the event id: stable across processes (unlike string.GetHashCode).</summary>
    public static string EventHash(string eventId) =>
        Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(eventId)))[..16];

    public static int OfEvent(string eventId) => OfEventHash(EventHash(eventId));

    /// <summary>The shard of a message id (<c>{event hash}-{recipient hash}</c>), or null when the id is malformed.</summary>
    public static int? OfMessage(string messageId) =>
        messageId is { Length: 33 } && messageId[16] == '-' && !messageId.AsSpan(0, 16).ContainsAnyExcept(LowerHex) && !messageId.AsSpan(17).ContainsAnyExcept(LowerHex)
            ? OfEventHash(messageId[..16])
            : null;

    private static int OfEventHash(string eventHash) => Convert.ToInt32(eventHash[..4], 16) % Count;
}

/// <summary>One email of the outbox as operators see it.</summary>
/// <param name="Id">The outbox message id: a hash of the event id, template and recipient (stable across retries).</param>
/// <param name="Recipient"><c>user:{id}</c> (address read from the user's profile when sent) or <c>email:{address}</c>.</param>
/// <param name="To">The address it was last sent (or tried) to; null before the first attempt.</param>
/// <param name="MimeMessageId">The MIME <c>Message-ID</c> every attempt carries, so a resend can be recognised.</param>
[GenerateSerializer, Immutable, Alias("billing.notifications.outbox-message")]
public sealed record OutboxMessageView(
    [property: Id(0)] string Id,
    [property: Id(1)] string EventId,
    [property: Id(2)] string EventType,
    [property: Id(3)] string WorkspaceId,
    [property: Id(4)] EmailTemplate Template,
    [property: Id(5)] string Recipient,
    [property: Id(6)] string? To,
    [property: Id(7)] OutboxStatus Status,
    [property: Id(8)] int Attempts,
    [property: Id(9)] DateTimeOffset CreatedAt,
    [property: Id(10)] DateTimeOffset? NextAttemptAt,
    [property: Id(11)] DateTimeOffset? SentAt,
    [property: Id(12)] string? LastError,
    [property: Id(13)] string MimeMessageId);
