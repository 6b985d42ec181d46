namespace Billing.Metering;

/// <summary>B2: sessions are priced by the class of the channel they run on.</summary>
public enum ChannelClass
{
    Chat = 0,
    Voice = 1,
}

/// <summary>What the end user did. B3: a search is metered like a message and rides on an open billing session.</summary>
public enum MessageKind
{
    UserMessage = 0,
    Search = 1,
}

/// <summary>
/// One end-user message as a channel adapter reports it, once per message. <see cref="MessageId"/> is the
/// idempotency key (B4): delivering the same id again returns the first decision and charges nothing.
/// </summary>
[GenerateSerializer, Immutable, Alias("billing.metering.channel-message")]
public sealed record ChannelMessage(
    [property: Id(0)] string MessageId,
    [property: Id(1)] string AppId,
    [property: Id(2)] string Channel,
    [property: Id(3)] ChannelClass ChannelClass,
    [property: Id(4)] string ChannelUserId,
    [property: Id(5)] string PlatformUserId,
    [property: Id(6)] DateTimeOffset Timestamp,
    [property: Id(7)] MessageKind Kind);
