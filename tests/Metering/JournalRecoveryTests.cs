using System.Diagnostics.Metrics;
using Azure.Data.Tables;
using Billing.Journal;
using Billing.Metering;
using Billing.Telemetry;
using Billing.Tests.Infrastructure;
using Billing.Usage;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;

namespace Billing.Tests.Metering;

/// <summary>
/// A dead silo's journal on Azurite, recovered by a survivor: sealed, filed into the usage partitions exactly once, and
/// closed to its owner (C7: nothing lost or doubled; B4: a message id is recorded once; U1, U2: totals and exports).
/// </summary>
public sealed class JournalRecoveryTests(AzuriteFixture azurite) : IAsyncLifetime
{
    private static readonly DateTimeOffset Day1 = new(2026, 11, 2, 23, 50, 0, TimeSpan.Zero);

    private readonly ServiceProvider _services = new ServiceCollection().AddMetrics().BuildServiceProvider();
    private TableClient _journals = null!;
    private TableClient _usage = null!;

    private BillingMetrics Metrics => new(_services.GetRequiredService<IMeterFactory>());

    public async ValueTask InitializeAsync()
    {
        _journals = azurite.ServiceClient.GetTableClient(AzuriteFixture.UniqueTableName("journal"));
        _usage = azurite.ServiceClient.GetTableClient(AzuriteFixture.UniqueTableName("usage"));
        await _journals.CreateAsync();
        await _usage.CreateAsync();
    }

    public async ValueTask DisposeAsync()
    {
        await _journals.DeleteAsync();
        await _usage.DeleteAsync();
        await _services.DisposeAsync();
    }

    [Fact]
    public async Task A_dead_silos_journal_is_filed_once_by_the_survivor_and_the_zombies_late_append_is_refused_C7_B4()
    {
        // 3 apps, records on both sides of midnight (two partitions each), appended at once as a busy silo does.
        var zombie = await MeteringJournal.CreateAsync(_journals, "svc|cluster|127.0.0.1:1@1", Metrics, NullLogger.Instance);
        var records = Enumerable.Range(0, 600).Select(Record).ToList();
        var positions = await Task.WhenAll(records.Select(r => zombie.AppendAsync(JournalEntries.Usage(r))));

        using var survivor = new UsageFiler(_usage, Metrics, NullLogger.Instance);
        await SiloJournal.RecoverJournalAsync(_journals, survivor, zombie.JournalId, "svc|cluster|127.0.0.1:2@2", NullLogger.Instance, TestContext.Current.CancellationToken);
        var late = zombie.AppendAsync(JournalEntries.Usage(Record(600)));

        await Assert.ThrowsAsync<JournalSealedException>(() => late);
        var head = (await _journals.GetEntityAsync<TableEntity>(zombie.JournalId, MeteringJournal.HeadRowKey, cancellationToken: TestContext.Current.CancellationToken)).Value;
        Assert.Equal((true, true, 601L), (head.GetBoolean("Sealed"), head.GetBoolean(SiloJournal.FiledProperty), head.GetInt64("NextPosition")));
        Assert.Equal(600, positions.Distinct().Count());
        await AssertFiledOnce(records);
        // The filed chunks were trimmed: the journal holds its head only.
        var rows = _journals.QueryAsync<TableEntity>(TableClient.CreateQueryFilter($"PartitionKey eq {zombie.JournalId}"), cancellationToken: TestContext.Current.CancellationToken);
        Assert.Single(await rows.ToListAsync(TestContext.Current.CancellationToken));
    }

    [Fact]
    public async Task Filing_the_same_journal_twice_or_after_a_pass_that_stopped_half_way_changes_nothing_C7_B4()
    {
        var records = Enumerable.Range(0, 400).Select(Record).ToList();
        var entries = records.Select((r, i) => ((long)i + 1, r)).ToList();
        const string journalId = "svc|cluster|127.0.0.1:3@3";

        // A silo that filed half and died, a survivor that files all of it, and a second survivor (or a retry) again.
        using (var first = new UsageFiler(_usage, Metrics, NullLogger.Instance))
            await first.FileAsync(journalId, entries[..150], TestContext.Current.CancellationToken);
        using (var second = new UsageFiler(_usage, Metrics, NullLogger.Instance))
            await second.FileAsync(journalId, entries, TestContext.Current.CancellationToken);
        var before = await TotalsAsync();
        using (var third = new UsageFiler(_usage, Metrics, NullLogger.Instance))
            await third.FileAsync(journalId, entries, TestContext.Current.CancellationToken);

        Assert.Equal(before, await TotalsAsync());
        await AssertFiledOnce(records);
    }

    private static UsageRecord Record(int i)
    {
        var at = Day1.AddMinutes(i % 20); // 23:50 to 00:09: two days
        var opened = i % 4 == 0;
        return new UsageRecord(
            $"m-{i}", $"app-{i % 3}", "webchat", ChannelClass.Chat, $"kore-{i % 50}", $"user-{i % 50}", MessageKind.UserMessage, at,
            $"cs_{i % 50}", at, at, $"bs_{i / 4}", 0, at, at.AddMinutes(15), opened, opened ? 0.20m : 0m, 0m, opened ? 0.20m : 0m);
    }

    /// <summary>Every record in its app-day partition exactly once, and each partition's totals counting exactly those.</summary>
    private async Task AssertFiledOnce(List<UsageRecord> records)
    {
        foreach (var partition in records.GroupBy(r => (r.AppId, Day: DateOnly.FromDateTime(r.At.UtcDateTime))))
        {
            var key = UsageTable.PartitionKey(partition.Key.AppId, partition.Key.Day);
            var filed = new List<UsageRecord>();
            await foreach (var chunk in UsageTable.AllChunks(_usage, key))
                filed.AddRange(UsageTable.ReadChunk(chunk, partition.Key.AppId));
            Assert.Equal(partition.Select(r => r.MessageId).Order(), filed.Select(r => r.MessageId).Order());
            var totals = UsageTable.ReadTotals(partition.Key.AppId, partition.Key.Day, (await _usage.GetEntityAsync<TableEntity>(key, UsageTable.TotalsRowKey)).Value);
            Assert.Equal(
                (partition.LongCount(), partition.LongCount(r => r.OpenedBillingSession), partition.Sum(r => r.ChargedUsd)),
                (totals.Requests, totals.BillingSessions, totals.ChargedUsd));
        }
    }

    private async Task<List<(string, long, long, decimal, long)>> TotalsAsync()
    {
        var rows = _usage.QueryAsync<TableEntity>(TableClient.CreateQueryFilter($"RowKey eq {UsageTable.TotalsRowKey}"));
        return (await rows.ToListAsync()).Select(r => (r.PartitionKey, r.GetInt64("Requests") ?? 0, r.GetInt64("BillingSessions") ?? 0, decimal.Parse(r.GetString("ChargedUsd")!, System.Globalization.CultureInfo.InvariantCulture), r.GetInt64("Chunks") ?? 0)).OrderBy(t => t.PartitionKey).ToList();
    }
}
