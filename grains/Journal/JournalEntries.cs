using System.Text;
using Billing.Ledgers;
using Billing.Usage;

namespace Billing.Journal;

/// <summary>
/// What a journal entry holds: a kind byte, then its body. A usage record (its app id, then the record in
/// <see cref="UsageRecordCodec"/>'s form, which leaves the app id to the partition), or a ledger posting (its book,
/// when it was posted, its idempotency key and its entries).
/// </summary>
public static class JournalEntries
{
    private const byte UsageKind = 1;
    private const byte LedgerKind = 2;

    public static byte[] Usage(UsageRecord record)
    {
        using var buffer = new MemoryStream(300);
        using (var writer = new BinaryWriter(buffer, Encoding.UTF8, leaveOpen: true))
        {
            writer.Write(UsageKind);
            writer.Write(record.AppId);
            UsageRecordCodec.Write(writer, record);
        }

        return buffer.ToArray();
    }

    /// <summary>What an entry encodes: a <see cref="UsageRecord"/>, a <see cref="JournaledPosting"/>, or null for another kind.</summary>
    public static object? Read(ReadOnlyMemory<byte> entry) => (object?)ReadUsage(entry) ?? ReadLedger(entry);

    /// <summary>The usage record of an entry, or null for an entry of another kind.</summary>
    public static UsageRecord? ReadUsage(ReadOnlyMemory<byte> entry)
    {
        if (entry.Length == 0 || entry.Span[0] != UsageKind)
            return null;
        using var reader = new BinaryReader(new MemoryStream(entry.ToArray(), 1, entry.Length - 1, writable: false), Encoding.UTF8);
        var appId = reader.ReadString();
        var bytes = reader.ReadBytes(entry.Length);
        return UsageRecordCodec.ReadAll(bytes, appId).Single();
    }

    public static byte[] Ledger(JournaledPosting posting)
    {
        using var buffer = new MemoryStream(256);
        using (var writer = new BinaryWriter(buffer, Encoding.UTF8, leaveOpen: true))
        {
            writer.Write(LedgerKind);
            writer.Write(posting.BookId);
            writer.Write(posting.PostedAt.UtcTicks);
            WriteOptional(writer, posting.IdempotencyKey);
            writer.Write((byte)posting.Entries.Count);
            foreach (var e in posting.Entries)
            {
                writer.Write(e.Account);
                writer.Write(e.Seq);
                writer.Write((int)e.Kind);
                writer.Write(e.AmountUsd);
                writer.Write(e.BalanceAfterUsd);
                writer.Write(e.At.UtcTicks);
                writer.Write(e.Cause);
                WriteOptional(writer, e.Reason);
                WriteOptional(writer, e.Reference);
            }
        }

        return buffer.ToArray();
    }

    /// <summary>The ledger posting of an entry, or null for an entry of another kind.</summary>
    public static JournaledPosting? ReadLedger(ReadOnlyMemory<byte> entry)
    {
        if (entry.Length == 0 || entry.Span[0] != LedgerKind)
            return null;
        using var reader = new BinaryReader(new MemoryStream(entry.ToArray(), 1, entry.Length - 1, writable: false), Encoding.UTF8);
        var bookId = reader.ReadString();
        var postedAt = new DateTimeOffset(reader.ReadInt64(), TimeSpan.Zero);
        var key = ReadOptional(reader);
        var count = reader.ReadByte();
        var entries = new List<LedgerEntry>(count);
        for (var i = 0; i < count; i++)
        {
            var account = reader.ReadString();
            var seq = reader.ReadInt64();
            var kind = (LedgerEntryKind)reader.ReadInt32();
            var amount = reader.ReadDecimal();
            var balance = reader.ReadDecimal();
            var at = new DateTimeOffset(reader.ReadInt64(), TimeSpan.Zero);
            var cause = reader.ReadString();
            var reason = ReadOptional(reader);
            var reference = ReadOptional(reader);
            entries.Add(new LedgerEntry(seq, kind, amount, balance, at, cause, reason, key, reference, account));
        }

        return new JournaledPosting(bookId, postedAt, key, entries);
    }

    private static void WriteOptional(BinaryWriter writer, string? value)
    {
        writer.Write(value is not null);
        if (value is not null)
            writer.Write(value);
    }

    private static string? ReadOptional(BinaryReader reader) => reader.ReadBoolean() ? reader.ReadString() : null;
}

/// <summary>
/// One journal entry at its position: its bytes, and the object they encode when the silo that appended it still holds
/// it (its own journal), so that filing does not decode what it already has. Entries read back from storage (a dead
/// silo's journal) carry only their bytes.
/// </summary>
public readonly record struct JournalEntry(long Position, ReadOnlyMemory<byte> Bytes, object? Decoded = null)
{
    public object? Content => Decoded ?? JournalEntries.Read(Bytes);
}
