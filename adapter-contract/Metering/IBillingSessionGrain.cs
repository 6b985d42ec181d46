namespace Billing.Metering;

/// <summary>
/// The channel adapters' entry point: one grain per end user of an app on a channel (key
/// <see cref="BillingSessionKey.For(ChannelMessage)"/>), called once per end-user message. It keeps the
/// conversation and its 15-minute billing sessions (B1-B3), charges a billing session once when it opens,
/// and answers Allowed or Denied (C5, B8).
/// </summary>
public interface IBillingSessionGrain : IGrainWithStringKey
{
    /// <summary>
    /// Decides whether the app may answer <paramref name="message"/> and what it costs. Idempotent on
    /// <see cref="ChannelMessage.MessageId"/> (B4): a retry answers the first decision and charges nothing.
    /// A returned decision is durable: its charge and its usage record are stored.
    /// </summary>
    Task<MeterDecision> Meter(ChannelMessage message);
}

public static class BillingSessionKey
{
    /// <summary>The grain key of one end user of one app on one channel. Parts are length-prefixed so no two triples collide.</summary>
    public static string For(string appId, string channel, string channelUserId) =>
        $"{appId.Length}:{appId}|{channel.Length}:{channel}|{channelUserId}";

    public static string For(ChannelMessage message) => For(message.AppId, message.Channel, message.ChannelUserId);
}

/// <summary>What a channel adapter calls: <c>await client.Meter(message)</c>.</summary>
public static class ChannelMetering
{
    public static Task<MeterDecision> Meter(this IGrainFactory grains, ChannelMessage message)
    {
        ArgumentNullException.ThrowIfNull(grains);
        ArgumentNullException.ThrowIfNull(message);
        return grains.GetGrain<IBillingSessionGrain>(BillingSessionKey.For(message)).Meter(message);
    }
}
