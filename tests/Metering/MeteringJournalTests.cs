using System.Diagnostics.Metrics;
using System.Text;
using Azure.Data.Tables;
using Billing.Journal;
using Billing.Telemetry;
using Billing.Tests.Infrastructure;
using Billing.Tests.Simulation;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;

namespace Billing.Tests.Metering;

/// <summary>
/// The silo-wide metering journal on Azurite: group commit across tenants, fencing of a silo declared dead, reading
/// back and trimming (SPEC section 11: durable when answered, writes shared across tenants; C7 nothing lost or doubled).
/// </summary>
public sealed class MeteringJournalTests(AzuriteFixture azurite) : IAsyncLifetime
{
    private readonly ServiceProvider _services = new ServiceCollection().AddMetrics().BuildServiceProvider();
    private TableClient _table = null!;

    private BillingMetrics Metrics => new(_services.GetRequiredService<IMeterFactory>());

    public async ValueTask InitializeAsync()
    {
        _table = azurite.ServiceClient.GetTableClient(AzuriteFixture.UniqueTableName("journal"));
        await _table.CreateAsync();
    }

    public async ValueTask DisposeAsync()
    {
        await _table.DeleteAsync();
        await _services.DisposeAsync();
    }

    [Fact]
    public async Task Entries_appended_at_once_by_many_tenants_are_durable_in_order_and_share_transactions()
    {
        var journal = await MeteringJournal.CreateAsync(_table, "silo-a", Metrics, NullLogger.Instance);
        var entries = Enumerable.Range(0, 2000).Select(i => Encoding.UTF8.GetBytes($"app-{i % 1000}|message-{i}")).ToList();

        var positions = await Task.WhenAll(entries.Select(e => journal.AppendAsync(e)));

        Assert.Equal(Enumerable.Range(1, 2000).Select(i => (long)i), positions.Order());
        Assert.True(journal.Commits < 200, $"{journal.Commits} transactions for 2,000 entries: appends did not share them");
        var stored = await ReadAllAsync("silo-a", 0);
        Assert.Equal(2000, stored.Count);
        for (var i = 0; i < entries.Count; i++)
            Assert.Equal(Encoding.UTF8.GetString(entries[i]), stored[positions[i]]);
    }

    [Fact]
    public async Task A_quiet_journal_writes_an_entry_at_once_without_waiting_for_a_batch_to_fill()
    {
        var journal = await MeteringJournal.CreateAsync(_table, "silo-quiet", Metrics, NullLogger.Instance);

        for (var i = 0; i < 3; i++)
            Assert.Equal(i + 1, await journal.AppendAsync(Encoding.UTF8.GetBytes($"entry-{i}")));

        Assert.Equal(3, journal.Commits);
    }

    [Fact]
    public async Task Writes_that_fail_time_out_or_lose_their_reply_are_settled_from_their_row_so_every_entry_is_durable_once_and_none_refused()
    {
        // C7 under storage faults: a write whose reply was lost committed, and writing it again finds its key taken; a
        // write that failed did not. The journal tells them apart by the row in the batch's slot and neither stops nor doubles.
        await using var proxy = await StorageFaultProxy.StartAsync(azurite);
        var faulty = new TableServiceClient(proxy.ConnectionString).GetTableClient(_table.Name);
        var journal = await MeteringJournal.CreateAsync(faulty, "silo-faults", Metrics, NullLogger.Instance);
        proxy.Inject(seed: 7, rate: 0.3);

        var positions = new List<long>();
        for (var round = 0; round < 20; round++)
            positions.AddRange(await Task.WhenAll(Enumerable.Range(0, 10).Select(i => journal.AppendAsync(Encoding.UTF8.GetBytes($"entry-{(round * 10) + i}")))));
        proxy.Heal();

        var (_, fails, timesOut, replyLost) = proxy.Counts();
        Assert.True(replyLost > 0 && fails + timesOut > 0, $"faults injected: {fails} failed, {timesOut} timed out, {replyLost} replies lost");
        Assert.Equal(Enumerable.Range(1, 200).Select(i => (long)i), positions.Order());
        var stored = await ReadAllAsync("silo-faults", 0);
        Assert.Equal(Enumerable.Range(0, 200).Select(i => $"entry-{i}").Order(), stored.Values.Order());
        Assert.Equal(201, await journal.AppendAsync(Encoding.UTF8.GetBytes("after the faults")));
    }

    [Fact]
    public async Task An_outage_that_outlasts_the_storage_clients_retries_delays_appends_and_loses_none()
    {
        // The SDK gives up after its retries with an AggregateException of the attempts: still a storage failure, settled
        // and written again once storage answers. (Taken for a bug once, it ended the writer and every later append
        // waited forever: fault simulator, seed 771.)
        await using var proxy = await StorageFaultProxy.StartAsync(azurite);
        var faulty = new TableServiceClient(proxy.ConnectionString, new TableClientOptions { Retry = { MaxRetries = 1, Delay = TimeSpan.FromMilliseconds(10) } }).GetTableClient(_table.Name);
        var journal = await MeteringJournal.CreateAsync(faulty, "silo-outage", Metrics, NullLogger.Instance);
        Assert.Equal(1, await journal.AppendAsync(Encoding.UTF8.GetBytes("before")));

        proxy.Outage();
        var during = Enumerable.Range(0, 20).Select(i => journal.AppendAsync(Encoding.UTF8.GetBytes($"during-{i}"))).ToList();
        var given = await RequestThatGivesUp(faulty);
        proxy.Heal();
        var positions = await Task.WhenAll(during).WaitAsync(TimeSpan.FromSeconds(60), TestContext.Current.CancellationToken);

        Assert.IsType<AggregateException>(given);
        Assert.True(StorageFailures.IsTransient(given));
        Assert.Equal(Enumerable.Range(2, 20).Select(i => (long)i), positions.Order());
        Assert.Equal(22, await journal.AppendAsync(Encoding.UTF8.GetBytes("after")));
        Assert.Equal(22, (await ReadAllAsync("silo-outage", 0)).Count);
    }

    /// <summary>What the storage client throws for one request during the outage, once its retries are spent.</summary>
    private static async Task<Exception> RequestThatGivesUp(TableClient table)
    {
        try
        {
            await table.GetEntityIfExistsAsync<TableEntity>("probe", "probe");
        }
        catch (Exception e)
        {
            return e;
        }

        throw new InvalidOperationException("The outage let a request through.");
    }

    [Fact]
    public async Task A_silo_declared_dead_cannot_append_once_a_recovering_silo_sealed_its_journal()
    {
        var zombie = await MeteringJournal.CreateAsync(_table, "silo-zombie", Metrics, NullLogger.Instance);
        await zombie.AppendAsync(Encoding.UTF8.GetBytes("before the takeover"));

        var end = await MeteringJournal.SealAsync(_table, "silo-zombie", "silo-survivor", NullLogger.Instance);
        var late = await Assert.ThrowsAsync<JournalSealedException>(() => zombie.AppendAsync(Encoding.UTF8.GetBytes("late")));
        var later = await Assert.ThrowsAsync<JournalSealedException>(() => zombie.AppendAsync(Encoding.UTF8.GetBytes("later")));

        Assert.Equal(2, end);
        Assert.Contains("silo-survivor", late.Message, StringComparison.Ordinal);
        Assert.Same(late, later);
        Assert.Equal(["before the takeover"], (await ReadAllAsync("silo-zombie", 0)).Values);
        Assert.Equal(end, await MeteringJournal.SealAsync(_table, "silo-zombie", "another-survivor", NullLogger.Instance));
    }

    [Fact]
    public async Task A_journal_trimmed_to_its_newest_row_is_sealed_after_it_and_its_owner_refused()
    {
        // Trimming keeps the newest row, so a sealer still sees where the journal ends once everything is filed.
        var zombie = await WrittenOneByOneAsync("silo-trimmed", 4);
        await MeteringJournal.TrimAsync(_table, "silo-trimmed", 4);

        var end = await MeteringJournal.SealAsync(_table, "silo-trimmed", "silo-survivor", NullLogger.Instance);

        Assert.Equal(5, end);
        await Assert.ThrowsAsync<JournalSealedException>(() => zombie.AppendAsync(Encoding.UTF8.GetBytes("late")));
        Assert.Equal(new Dictionary<long, string> { [4] = "entry-4" }, await ReadAllAsync("silo-trimmed", 0));
    }

    [Fact]
    public async Task A_seal_racing_the_owners_appends_ends_the_journal_after_every_acknowledged_entry()
    {
        // The owner keeps appending, eight at a time, while a recovering silo seals: every acknowledged entry is below the
        // seal (so the recoverer files it), and the owner's appends stop at the first refusal.
        var zombie = await MeteringJournal.CreateAsync(_table, "silo-racing", Metrics, NullLogger.Instance);
        var acknowledged = new System.Collections.Concurrent.ConcurrentDictionary<long, string>();
        acknowledged[await zombie.AppendAsync(Encoding.UTF8.GetBytes("entry-0"))] = "entry-0";
        var refused = 0;
        var appending = Task.Run(async () =>
        {
            for (var round = 1; Volatile.Read(ref refused) == 0; round++)
            {
                await Task.WhenAll(Enumerable.Range(0, 8).Select(async i =>
                {
                    var entry = $"entry-{round}-{i}";
                    try
                    {
                        acknowledged[await zombie.AppendAsync(Encoding.UTF8.GetBytes(entry))] = entry;
                    }
                    catch (JournalSealedException)
                    {
                        Interlocked.Increment(ref refused);
                    }
                }));
            }
        });

        var end = await MeteringJournal.SealAsync(_table, "silo-racing", "silo-survivor", NullLogger.Instance);
        await appending.WaitAsync(TimeSpan.FromSeconds(30), TestContext.Current.CancellationToken);

        Assert.True(refused > 0);
        Assert.All(acknowledged, a => Assert.True(a.Key < end, $"{a.Value} acknowledged at {a.Key}, at or after the seal at {end}"));
        Assert.Equal(acknowledged.OrderBy(a => a.Key), (await ReadAllAsync("silo-racing", 0)).OrderBy(a => a.Key));
        Assert.Equal(end, await MeteringJournal.SealAsync(_table, "silo-racing", "another-survivor", NullLogger.Instance));
    }

    [Fact]
    public async Task A_batch_larger_than_one_binary_property_is_one_row_read_back_in_order()
    {
        var journal = await MeteringJournal.CreateAsync(_table, "silo-large", Metrics, NullLogger.Instance);
        var entries = Enumerable.Range(0, 120).Select(i => $"{i:D4}|" + new string((char)('a' + (i % 26)), 2000)).ToList();

        var positions = await Task.WhenAll(entries.Select(e => journal.AppendAsync(Encoding.UTF8.GetBytes(e))));

        Assert.True(journal.Commits < 10, $"{journal.Commits} rows for 240 KB appended at once");
        var stored = await ReadAllAsync("silo-large", 0);
        Assert.Equal(Enumerable.Range(1, 120).Select(i => (long)i), stored.Keys.Order());
        for (var i = 0; i < entries.Count; i++)
            Assert.Equal(entries[i], stored[positions[i]]);
        // Some row carried its entries in more than one 60 KB property.
        var rows = await _table.QueryAsync<TableEntity>(TableClient.CreateQueryFilter($"PartitionKey eq {"silo-large"}")).ToListAsync();
        Assert.Contains(rows, r => r.ContainsKey("Data1"));
    }

    [Fact]
    public async Task A_journal_id_already_in_storage_is_never_written_into_by_a_second_owner()
    {
        await MeteringJournal.CreateAsync(_table, "silo-once", Metrics, NullLogger.Instance);

        await Assert.ThrowsAsync<InvalidOperationException>(() => MeteringJournal.CreateAsync(_table, "silo-once", Metrics, NullLogger.Instance));
    }

    [Fact]
    public async Task Trimming_removes_what_was_filed_and_keeps_the_rest_readable_after_it()
    {
        await WrittenOneByOneAsync("silo-trim", 5);

        await MeteringJournal.TrimAsync(_table, "silo-trim", 3);
        await MeteringJournal.TrimAsync(_table, "silo-trim", 3);

        Assert.Equal(new Dictionary<long, string> { [4] = "entry-4", [5] = "entry-5" }, await ReadAllAsync("silo-trim", 0));
        Assert.Equal(new Dictionary<long, string> { [5] = "entry-5" }, await ReadAllAsync("silo-trim", 4));
    }

    /// <summary>A new journal holding entry-1 .. entry-<paramref name="entries"/>, each its own batch (row).</summary>
    private async Task<MeteringJournal> WrittenOneByOneAsync(string journalId, int entries)
    {
        var journal = await MeteringJournal.CreateAsync(_table, journalId, Metrics, NullLogger.Instance);
        for (var i = 1; i <= entries; i++)
            await journal.AppendAsync(Encoding.UTF8.GetBytes($"entry-{i}"));
        return journal;
    }

    private async Task<Dictionary<long, string>> ReadAllAsync(string journalId, long after)
    {
        var read = new Dictionary<long, string>();
        await foreach (var (position, entry) in MeteringJournal.ReadAsync(_table, journalId, after))
            read.Add(position, Encoding.UTF8.GetString(entry.Span));
        return read;
    }
}
