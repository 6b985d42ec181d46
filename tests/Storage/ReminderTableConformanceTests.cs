using Billing.Storage.Reminders;
using Billing.Tests.Infrastructure;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Orleans;
using Orleans.Runtime;
using static Billing.Tests.Storage.ProviderTestServices;

namespace Billing.Tests.Storage;

/// <summary>
/// <see cref="AzureTableReminderTable"/> against Azurite, checked against the IReminderTable contract Orleans'
/// own reminder table suite checks: hash-ring range reads, ETag-guarded removal, key escaping.
/// </summary>
public sealed class ReminderTableConformanceTests(AzuriteFixture azurite)
{
    private static readonly GrainType ProbeType = GrainType.Create("reminder-probe");

    [Fact]
    public async Task A_missing_reminder_reads_as_null()
    {
        var table = await StartReminderTableAsync(azurite);

        var read = await table.ReadRow(NewGrainId(), "never-registered", Cancellation);

        Assert.Null(read);
    }

    [Fact]
    public async Task An_upserted_reminder_reads_back_by_name_and_by_grain()
    {
        var table = await StartReminderTableAsync(azurite);
        var grain = NewGrainId();
        var other = NewGrainId();
        var first = Reminder(grain, "monthly-invoice", TimeSpan.FromDays(30));
        var second = Reminder(grain, "credit-expiry", TimeSpan.FromHours(1));

        var etag = await table.UpsertRow(first, Cancellation);
        await table.UpsertRow(second, Cancellation);
        await table.UpsertRow(Reminder(other, "monthly-invoice", TimeSpan.FromDays(30)), Cancellation);

        var read = await table.ReadRow(grain, "monthly-invoice", Cancellation);
        Assert.NotNull(read);
        AssertSameReminder(first, read);
        Assert.Equal(etag, read.ETag);

        var all = await table.ReadRows(grain, Cancellation);
        Assert.Equal(["credit-expiry", "monthly-invoice"], all.Reminders.Select(r => r.ReminderName).Order(StringComparer.Ordinal));
        Assert.All(all.Reminders, r => Assert.Equal(grain, r.GrainId));
    }

    [Fact]
    public async Task Every_upsert_returns_a_new_etag()
    {
        var table = await StartReminderTableAsync(azurite);
        var reminder = Reminder(NewGrainId(), "tick", TimeSpan.FromMinutes(1));

        var etags = new List<string?>();
        for (var i = 0; i < 3; i++)
        {
            reminder.Period += TimeSpan.FromMinutes(1);
            etags.Add(await table.UpsertRow(reminder, Cancellation));
        }

        Assert.All(etags, Assert.NotNull);
        Assert.Equal(3, etags.Distinct().Count());
        Assert.Equal(TimeSpan.FromMinutes(4), (await table.ReadRow(reminder.GrainId, "tick", Cancellation))!.Period);
    }

    [Fact]
    public async Task Removal_succeeds_only_with_the_current_etag()
    {
        var table = await StartReminderTableAsync(azurite);
        var reminder = Reminder(NewGrainId(), "tick", TimeSpan.FromMinutes(1));
        var stale = await table.UpsertRow(reminder, Cancellation);
        var current = await table.UpsertRow(reminder, Cancellation);

        Assert.False(await table.RemoveRow(reminder.GrainId, "tick", stale!, Cancellation));
        Assert.False(await table.RemoveRow(reminder.GrainId, "other-name", current!, Cancellation));
        Assert.NotNull(await table.ReadRow(reminder.GrainId, "tick", Cancellation));

        Assert.True(await table.RemoveRow(reminder.GrainId, "tick", current!, Cancellation));
        Assert.Null(await table.ReadRow(reminder.GrainId, "tick", Cancellation));
        Assert.False(await table.RemoveRow(reminder.GrainId, "tick", current!, Cancellation));
    }

    [Fact]
    public async Task Hash_range_reads_return_exactly_the_reminders_in_the_ring_range()
    {
        var table = await StartReminderTableAsync(azurite);
        var grains = Enumerable.Range(0, 200).Select(_ => NewGrainId()).ToList();
        await Parallel.ForEachAsync(grains, new ParallelOptions { MaxDegreeOfParallelism = 8, CancellationToken = Cancellation },
            async (grain, ct) => await table.UpsertRow(Reminder(grain, "r", TimeSpan.FromMinutes(5)), ct));
        var hashes = grains.Select(g => g.GetUniformHashCode()).Order().ToArray();

        // Bounds on stored hashes test exclusive begin and inclusive end; begin > end wraps around zero, and
        // begin == end is the whole ring (Orleans: hash > begin || hash <= end).
        var random = new Random(20261101);
        var ranges = new List<(uint Begin, uint End)>
        {
            (0, uint.MaxValue), (0, 0), (uint.MaxValue, uint.MaxValue), (uint.MaxValue, 0), (uint.MaxValue / 2, uint.MaxValue / 2),
            (hashes[10], hashes[50]), (hashes[50], hashes[10]), (hashes[0], hashes[^1]), (hashes[^1], hashes[0]),
            (hashes[99], hashes[99]), (hashes[0] - 1, hashes[0]), (hashes[^1], uint.MaxValue),
        };
        for (var i = 0; i < 12; i++)
            ranges.Add(((uint)random.NextInt64(0, 1L << 32), (uint)random.NextInt64(0, 1L << 32)));

        foreach (var (begin, end) in ranges)
        {
            var expected = begin < end
                ? hashes.Where(h => h > begin && h <= end)
                : hashes.Where(h => h > begin || h <= end);

            var read = await table.ReadRows(begin, end, Cancellation);

            Assert.Equal(expected.Order(), read.Reminders.Select(r => r.GrainId.GetUniformHashCode()).Order());
        }
    }

    [Fact]
    public async Task Grain_keys_and_reminder_names_with_forbidden_key_characters_round_trip()
    {
        var table = await StartReminderTableAsync(azurite);
        var grain = GrainId.Create(ProbeType, "ws/1\\a#b?c~7E" + Guid.NewGuid().ToString("N"));
        var lookalike = GrainId.Create(ProbeType, grain.Key + "~");
        string[] names = ["invoice/monthly", "back\\slash", "hash#tag", "query?x=1", "tilde~2F", "plain"];
        foreach (var name in names)
            await table.UpsertRow(Reminder(grain, name, TimeSpan.FromMinutes(2)), Cancellation);
        await table.UpsertRow(Reminder(lookalike, "plain", TimeSpan.FromMinutes(2)), Cancellation);

        foreach (var name in names)
        {
            var read = await table.ReadRow(grain, name, Cancellation);
            Assert.NotNull(read);
            Assert.Equal(grain, read.GrainId);
            Assert.Equal(name, read.ReminderName);
        }

        var all = await table.ReadRows(grain, Cancellation);
        Assert.Equal(names.Order(StringComparer.Ordinal), all.Reminders.Select(r => r.ReminderName).Order(StringComparer.Ordinal));
        Assert.All(all.Reminders, r => Assert.Equal(grain, r.GrainId));
    }

    [Fact]
    public async Task Clearing_the_table_removes_this_service_reminders_only()
    {
        var tableName = AzuriteFixture.UniqueTableName("reminders");
        var table = await StartReminderTableAsync(azurite, tableName: tableName);
        var neighbour = await StartReminderTableAsync(azurite, tableName: tableName);
        for (var i = 0; i < 30; i++)
            await table.UpsertRow(Reminder(NewGrainId(), "r" + i, TimeSpan.FromMinutes(1)), Cancellation);
        var kept = Reminder(NewGrainId(), "kept", TimeSpan.FromMinutes(1));
        await neighbour.UpsertRow(kept, Cancellation);

        await table.TestOnlyClearTable(Cancellation);

        Assert.Empty((await table.ReadRows(0, 0, Cancellation)).Reminders);
        Assert.Single((await neighbour.ReadRows(0, 0, Cancellation)).Reminders);
    }

    [Fact]
    public async Task Services_whose_ids_share_a_prefix_never_see_each_other_reminders()
    {
        var tableName = AzuriteFixture.UniqueTableName("reminders");
        var serviceId = "svc-" + Guid.NewGuid().ToString("N")[..8];
        var shortId = await StartReminderTableAsync(azurite, new() { ClusterId = "c", ServiceId = serviceId }, tableName);
        var longId = await StartReminderTableAsync(azurite, new() { ClusterId = "c", ServiceId = serviceId + "_0" }, tableName);
        await longId.UpsertRow(Reminder(NewGrainId(), "r", TimeSpan.FromMinutes(1)), Cancellation);

        Assert.Empty((await shortId.ReadRows(0, 0, Cancellation)).Reminders);
        Assert.Empty((await shortId.ReadRows(0, uint.MaxValue, Cancellation)).Reminders);
    }

    [Fact]
    public void Options_without_a_connection_string_are_refused_naming_the_setting()
    {
        var options = Options.Create(new AzureTableReminderOptions { TableName = "bad-name" });

        var e = Assert.Throws<OrleansConfigurationException>(new AzureTableReminderOptionsValidator(options).ValidateConfiguration);

        Assert.Contains("AzureTableReminderOptions:ConnectionString", e.Message, StringComparison.Ordinal);
        Assert.Contains("AzureTableReminderOptions:TableName", e.Message, StringComparison.Ordinal);
        // The container may build the table before Orleans runs the validators: it refuses with the same message.
        var fromConstructor = Assert.Throws<OrleansConfigurationException>(
            () => new AzureTableReminderTable(options, Options.Create(NewClusterOptions()), NullLogger<AzureTableReminderTable>.Instance));
        Assert.Equal(e.Message, fromConstructor.Message);
    }

    private static GrainId NewGrainId() => GrainId.Create(ProbeType, Guid.NewGuid().ToString("N"));

    private static ReminderEntry Reminder(GrainId grain, string name, TimeSpan period) => new()
    {
        GrainId = grain,
        ReminderName = name,
        StartAt = DateTime.UtcNow,
        Period = period,
    };

    private static void AssertSameReminder(ReminderEntry expected, ReminderEntry actual)
    {
        Assert.Equal(expected.GrainId, actual.GrainId);
        Assert.Equal(expected.ReminderName, actual.ReminderName);
        Assert.Equal(expected.StartAt, actual.StartAt);
        Assert.Equal(DateTimeKind.Utc, actual.StartAt.Kind);
        Assert.Equal(expected.Period, actual.Period);
    }
}
