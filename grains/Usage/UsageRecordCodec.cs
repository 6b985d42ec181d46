using System.Text;
using Billing.Metering;

namespace Billing.Usage;

/// <summary>
/// The compact binary form of a usage record inside a chunk row (format 2). A record is written by the single writer
/// of its app-day while callers wait, and every byte is parsed again by the storage emulator on the hot path, so the
/// form is what matters: about 250 bytes against about 600 for the JSON lines of format 1 (still read, see
/// <see cref="UsageTable.ReadChunk"/>), and no reflection.
/// </summary>
/// <remarks>
/// Layout, with <see cref="BinaryWriter"/>'s encodings (strings as length-prefixed UTF-8, decimals exact): a flags
/// byte (opened a billing session; carries amounts; has a platform user id), message id, channel, channel class,
/// platform user id (when flagged), channel user id, kind, time, conversation id, conversation start and latest
/// message, billing session id, slice index, slice start and end and, when flagged, the charged, paid and free
/// amounts. Times are
/// stored as UTC ticks, so a record reads back with a zero offset (the same instants). The app id is the
/// partition's and is not repeated.
/// </remarks>
public static class UsageRecordCodec
{
    public const int Format = 2;

    private const byte OpenedFlag = 1;
    private const byte AmountsFlag = 2;
    private const byte PlatformUserFlag = 4;

    public static byte[] Encode(UsageRecord record)
    {
        using var buffer = new MemoryStream(256);
        using (var writer = new BinaryWriter(buffer, Encoding.UTF8, leaveOpen: true))
            Write(writer, record);
        return buffer.ToArray();
    }

    /// <summary>Every record of <paramref name="data"/>, in order; <paramref name="appId"/> is the partition's.</summary>
    public static IEnumerable<UsageRecord> ReadAll(byte[] data, string appId)
    {
        using var reader = new BinaryReader(new MemoryStream(data, writable: false), Encoding.UTF8);
        while (reader.BaseStream.Position < data.Length)
            yield return Read(reader, appId);
    }

    /// <summary>Writes <paramref name="record"/> in this form (without its app id) where <paramref name="writer"/> stands.</summary>
    public static void Write(BinaryWriter writer, UsageRecord record)
    {
        var amounts = record.ChargedUsd != 0m || record.PaidUsd != 0m || record.FreeUsd != 0m;
        var flags = (byte)((record.OpenedBillingSession ? OpenedFlag : 0) | (amounts ? AmountsFlag : 0) | (record.PlatformUserId is null ? 0 : PlatformUserFlag));
        writer.Write(flags);
        writer.Write(record.MessageId);
        writer.Write(record.Channel);
        writer.Write((byte)record.ChannelClass);
        if (record.PlatformUserId is not null)
            writer.Write(record.PlatformUserId);
        writer.Write(record.ChannelUserId);
        writer.Write((byte)record.Kind);
        writer.Write(record.At.UtcTicks);
        writer.Write(record.ConversationId);
        writer.Write(record.ConversationStart.UtcTicks);
        writer.Write(record.ConversationLastAt.UtcTicks);
        writer.Write(record.BillingSessionId);
        writer.Write7BitEncodedInt64(record.SliceIndex);
        writer.Write(record.BillingSessionStart.UtcTicks);
        writer.Write(record.BillingSessionEnd.UtcTicks);
        if (amounts)
        {
            writer.Write(record.ChargedUsd);
            writer.Write(record.PaidUsd);
            writer.Write(record.FreeUsd);
        }
    }

    private static UsageRecord Read(BinaryReader reader, string appId)
    {
        var flags = reader.ReadByte();
        var messageId = reader.ReadString();
        var channel = reader.ReadString();
        var channelClass = (ChannelClass)reader.ReadByte();
        var platformUserId = (flags & PlatformUserFlag) != 0 ? reader.ReadString() : null;
        var channelUserId = reader.ReadString();
        var kind = (MessageKind)reader.ReadByte();
        var at = Utc(reader.ReadInt64());
        var conversationId = reader.ReadString();
        var conversationStart = Utc(reader.ReadInt64());
        var conversationLastAt = Utc(reader.ReadInt64());
        var billingSessionId = reader.ReadString();
        var slice = reader.Read7BitEncodedInt64();
        var sliceStart = Utc(reader.ReadInt64());
        var sliceEnd = Utc(reader.ReadInt64());
        var (charged, paid, free) = (flags & AmountsFlag) != 0 ? (reader.ReadDecimal(), reader.ReadDecimal(), reader.ReadDecimal()) : (0m, 0m, 0m);
        return new UsageRecord(
            messageId, appId, channel, channelClass, platformUserId!, channelUserId, kind, at, conversationId, conversationStart,
            conversationLastAt, billingSessionId, slice, sliceStart, sliceEnd, (flags & OpenedFlag) != 0, charged, paid, free);
    }

    private static DateTimeOffset Utc(long ticks) => new(ticks, TimeSpan.Zero);
}
