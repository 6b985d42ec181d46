using System.Text;
using Billing.Usage;

namespace Billing.Journal;

/// <summary>
/// What a journal entry holds: a kind byte, then its body. Today one kind: a usage record (its app id, then the
/// record in <see cref="UsageRecordCodec"/>'s form, which leaves the app id to the partition).
/// </summary>
public static class JournalEntries
{
    private const byte UsageKind = 1;

    public static byte[] Usage(UsageRecord record)
    {
        using var buffer = new MemoryStream(300);
        using (var writer = new BinaryWriter(buffer, Encoding.UTF8, leaveOpen: true))
        {
            writer.Write(UsageKind);
            writer.Write(record.AppId);
            writer.Write(UsageRecordCodec.Encode(record));
        }

        return buffer.ToArray();
    }

    /// <summary>The usage record of an entry, or null for an entry of another kind (written by a newer version).</summary>
    public static UsageRecord? ReadUsage(ReadOnlyMemory<byte> entry)
    {
        if (entry.Length == 0 || entry.Span[0] != UsageKind)
            return null;
        using var reader = new BinaryReader(new MemoryStream(entry.ToArray(), 1, entry.Length - 1, writable: false), Encoding.UTF8);
        var appId = reader.ReadString();
        var bytes = reader.ReadBytes(entry.Length);
        return UsageRecordCodec.ReadAll(bytes, appId).Single();
    }
}
