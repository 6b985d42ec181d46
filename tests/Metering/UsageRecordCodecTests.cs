using System.Text.Json;
using Azure.Data.Tables;
using Billing.Metering;
using Billing.Usage;
using FsCheck.Xunit;

namespace Billing.Tests.Metering;

/// <summary>The binary form of usage records in chunk rows (U2 fields, exact amounts), and chunks written before it.</summary>
public sealed class UsageRecordCodecTests
{
    private static readonly JsonSerializerOptions Web = new(JsonSerializerDefaults.Web);
    private static readonly DateTimeOffset Noon = new(2026, 11, 24, 12, 0, 0, TimeSpan.Zero);

    [Property(MaxTest = 500)]
    public bool Any_record_reads_back_equal_with_exact_amounts_and_times_in_UTC_U2(string text, decimal amount, long ticks)
    {
        // Well-formed UTF-16, as ids arrive: Orleans carries strings as UTF-8, so a lone surrogate is U+FFFD on arrival.
        var id = WellFormed(text);
        var platformUser = ticks % 3 == 0 ? null : new string(id.Reverse().ToArray());
        var at = new DateTimeOffset(Noon.UtcTicks + (ticks % TimeSpan.TicksPerDay), TimeSpan.Zero).ToOffset(TimeSpan.FromMinutes(ticks % 840));
        var record = Record(id, at) with
        {
            PlatformUserId = platformUser!,
            SliceIndex = Math.Abs(ticks % 1000),
            OpenedBillingSession = amount > 0m,
            ChargedUsd = amount,
            PaidUsd = amount / 3m,
            FreeUsd = amount - (amount / 3m),
            Channel = id + "☎",
        };

        var back = UsageRecordCodec.ReadAll(UsageRecordCodec.Encode(record), record.AppId).Single();

        return back == record && back.At.Offset == TimeSpan.Zero && (amount == 0m || back.ChargedUsd.Scale == record.ChargedUsd.Scale);
    }

    [Fact]
    public void A_chunk_holds_many_records_in_order_and_is_far_smaller_than_json_lines()
    {
        var records = Enumerable.Range(0, 100).Select(i => Record($"msg-{i}", Noon.AddSeconds(i)) with { ChargedUsd = i % 10 == 0 ? 0.20m : 0m }).ToList();
        var encoded = records.Select(UsageRecordCodec.Encode).ToList();

        var chunk = UsageTable.Chunk("app_20261124", 1, encoded, Noon, Noon.AddSeconds(99));

        Assert.Equal(records, UsageTable.ReadChunk(chunk, "app-1"));
        var json = records.Sum(r => JsonSerializer.SerializeToUtf8Bytes(r, Web).Length + 1);
        Assert.True(chunk.GetBinary("Records")!.Length * 2 < json, $"binary {chunk.GetBinary("Records")!.Length} bytes against {json} of JSON");
    }

    [Fact]
    public void A_chunk_of_json_lines_written_before_format_2_still_reads()
    {
        var records = new[] { Record("old-1", Noon), Record("old-2", Noon.AddMinutes(1)) with { ChargedUsd = 0.20m, OpenedBillingSession = true } };
        var lines = records.SelectMany(r => JsonSerializer.SerializeToUtf8Bytes(r, Web).Append((byte)'\n')).ToArray();
        var legacy = new TableEntity("app_20261124", "c0000000001") { ["Records"] = lines, ["Count"] = 2 };

        Assert.Equal(records, UsageTable.ReadChunk(legacy, "app-1"));
    }

    [Fact]
    public void A_chunk_of_an_unknown_format_is_refused_rather_than_misread()
    {
        var chunk = new TableEntity("app_20261124", "c0000000001") { ["Records"] = new byte[] { 1, 2, 3 }, ["Format"] = 3 };

        var error = Assert.Throws<InvalidDataException>(() => UsageTable.ReadChunk(chunk, "app-1").ToList());
        Assert.Contains("format 3", error.Message, StringComparison.Ordinal);
    }

    private static string WellFormed(string? text) => new((text ?? "").Where(c => !char.IsSurrogate(c)).ToArray());

    private static UsageRecord Record(string messageId, DateTimeOffset at) => new(
        messageId, "app-1", "webchat", ChannelClass.Voice, "kore-user", "channel-user", MessageKind.Search, at,
        "cs_0123456789abcdef0123456789abcdef", at.AddMinutes(-3), at, "bs_0123456789abcdef0123456789abcdef", 2,
        at.AddMinutes(-1), at.AddMinutes(14), false, 0m, 0m, 0m);
}
