using System.Diagnostics.Metrics;
using Azure.Data.Tables;
using Billing.Journal;
using Billing.Ledgers;
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
    private TableClient _ledgers = null!;

    private BillingMetrics Metrics => new(_services.GetRequiredService<IMeterFactory>());

    public async ValueTask InitializeAsync()
    {
        _journals = azurite.ServiceClient.GetTableClient(AzuriteFixture.UniqueTableName("journal"));
        _usage = azurite.ServiceClient.GetTableClient(AzuriteFixture.UniqueTableName("usage"));
        _ledgers = azurite.ServiceClient.GetTableClient(AzuriteFixture.UniqueTableName("ledgers"));
        await _journals.CreateAsync();
        await _usage.CreateAsync();
        await _ledgers.CreateAsync();
    }

    public async ValueTask DisposeAsync()
    {
        await _journals.DeleteAsync();
        await _usage.DeleteAsync();
        await _ledgers.DeleteAsync();
        await _services.DisposeAsync();
    }

    [Fact]
    public async Task A_dead_silos_journal_is_filed_once_by_the_survivor_and_the_zombies_late_append_is_refused_C7_B4()
    {
        // 3 apps, records on both sides of midnight (two partitions each), appended at once as a busy silo does.
        var zombie = await MeteringJournal.CreateAsync(_journals, "svc|cluster|127.0.0.1:1@1", Metrics, NullLogger.Instance);
        var records = Enumerable.Range(0, 600).Select(Record).ToList();
        var postings = Postings("app:app-0", 150).Concat(Postings("app:app-1", 40)).ToList();
        var positions = await Task.WhenAll(records.Select(r => zombie.AppendAsync(JournalEntries.Usage(r))).Concat(postings.Select(p => zombie.AppendAsync(JournalEntries.Ledger(p)))));

        var told = new List<UsageRecord>();
        using var survivor = new JournalFiling(new UsageFiler(_usage, Metrics, NullLogger.Instance), new LedgerFiler(_ledgers, Metrics, NullLogger.Instance), (filed, _) => { told.AddRange(filed.Select(f => f.Record)); return Task.FromResult(new List<(long, UsageRecord)>()); });
        await DeadSiloRecovery.RecoverJournalAsync(_journals, survivor, zombie.JournalId, "svc|cluster|127.0.0.1:2@2", NullLogger.Instance, TestContext.Current.CancellationToken);
        var late = zombie.AppendAsync(JournalEntries.Usage(Record(600)));

        await Assert.ThrowsAsync<JournalSealedException>(() => late);
        var head = (await _journals.GetEntityAsync<TableEntity>(zombie.JournalId, MeteringJournal.HeadRowKey, cancellationToken: TestContext.Current.CancellationToken)).Value;
        Assert.Equal((true, true, 791L), (head.GetBoolean("Sealed"), head.GetBoolean(MeteringJournal.FiledProperty), head.GetInt64("NextPosition")));
        Assert.Equal(790, positions.Distinct().Count());
        await AssertFiledOnce(records);
        // The usage logs, where starting billing-session grains find their end users, are told of every record filed.
        Assert.Equal(records.Select(r => r.MessageId).Order(), told.Select(r => r.MessageId).Order());
        await AssertBookFiled("app:app-0", postings);
        await AssertBookFiled("app:app-1", postings);
        // The filed rows were trimmed: the journal holds its head and the seal (which must stay where it is) only.
        var rows = _journals.QueryAsync<TableEntity>(TableClient.CreateQueryFilter($"PartitionKey eq {zombie.JournalId}"), cancellationToken: TestContext.Current.CancellationToken);
        Assert.Equal([MeteringJournal.RowKeyOf(791), MeteringJournal.HeadRowKey], (await rows.ToListAsync(TestContext.Current.CancellationToken)).Select(r => r.RowKey));
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

    [Fact]
    public async Task Ledger_postings_filed_twice_or_by_two_silos_at_once_are_in_the_book_once_with_balance_equal_to_the_sum_C6_C7()
    {
        var postings = Postings("app:app-9", 300);

        // The owner's silo filed a part and died; two survivors file everything at the same moment; then once more.
        using (var first = new LedgerFiler(_ledgers, Metrics, NullLogger.Instance))
            await first.FileAsync(postings[..120], TestContext.Current.CancellationToken);
        using (var a = new LedgerFiler(_ledgers, Metrics, NullLogger.Instance))
        using (var b = new LedgerFiler(_ledgers, Metrics, NullLogger.Instance))
            await Task.WhenAll(a.FileAsync(postings, TestContext.Current.CancellationToken), b.FileAsync(postings, TestContext.Current.CancellationToken));
        using (var again = new LedgerFiler(_ledgers, Metrics, NullLogger.Instance))
            await again.FileAsync(postings, TestContext.Current.CancellationToken);

        await AssertBookFiled("app:app-9", postings);
    }

    [Fact]
    public async Task A_posting_that_does_not_follow_the_filed_head_is_refused_and_nothing_of_it_is_written_C7()
    {
        var postings = Postings("app:app-8", 10);
        using var filer = new LedgerFiler(_ledgers, Metrics, NullLogger.Instance);
        await filer.FileAsync(postings[..5], TestContext.Current.CancellationToken);

        // Entry 7 with entry 6 missing, and entry 6 whose balance is not the head's plus its amount.
        await Assert.ThrowsAsync<InvalidOperationException>(() => filer.FileAsync([postings[6]], TestContext.Current.CancellationToken));
        var wrongBalance = postings[5] with { Entries = [postings[5].Entries[0] with { BalanceAfterUsd = 998m }] };
        await Assert.ThrowsAsync<InvalidOperationException>(() => filer.FileAsync([wrongBalance], TestContext.Current.CancellationToken));

        await AssertBookFiled("app:app-8", postings[..5]);
    }

    /// <summary>A book's postings as its owner numbers them: a $1,000 grant, then session charges of $0.20 (paid) and $0.10 (free).</summary>
    private static List<JournaledPosting> Postings(string bookId, int count)
    {
        var postings = new List<JournaledPosting>(count);
        decimal paid = 0m, free = 0m;
        long paidSeq = 0, freeSeq = 0;
        for (var i = 0; i < count; i++)
        {
            var entries = new List<LedgerEntry>();
            if (i == 0)
            {
                entries.Add(new LedgerEntry(++paidSeq, LedgerEntryKind.Grant, 1000m, paid += 1000m, Day1, "grant", null, "grant-1", null, "paid"));
                entries.Add(new LedgerEntry(++freeSeq, LedgerEntryKind.Lease, 50m, free += 50m, Day1, "free-credit-draw", null, "grant-1", null, "free"));
            }
            else
            {
                entries.Add(new LedgerEntry(++paidSeq, LedgerEntryKind.Charge, -0.20m, paid -= 0.20m, Day1.AddSeconds(i), "billing-session", null, $"bs_{bookId}_{i}", null, "paid"));
                if (i % 3 == 0)
                    entries.Add(new LedgerEntry(++freeSeq, LedgerEntryKind.Charge, -0.10m, free -= 0.10m, Day1.AddSeconds(i), "billing-session", null, $"bs_{bookId}_{i}", null, "free"));
            }

            postings.Add(new JournaledPosting(bookId, Day1.AddSeconds(i), entries[0].IdempotencyKey, entries));
        }

        return postings;
    }

    /// <summary>The book holds exactly the postings' entries, in order, once; its head balances equal the sums; one marker per key.</summary>
    private async Task AssertBookFiled(string bookId, List<JournaledPosting> postings)
    {
        var ofBook = postings.Where(p => p.BookId == bookId).ToList();
        var balances = await LedgerTable.ReadBalancesAsync(_ledgers, bookId, TestContext.Current.CancellationToken);
        foreach (var account in new[] { "paid", "free" })
        {
            var expected = ofBook.SelectMany(p => p.Entries).Where(e => e.Account == account).ToList();
            var filed = await LedgerTable.ReadAllAsync(_ledgers, bookId, account, TestContext.Current.CancellationToken).ToListAsync(TestContext.Current.CancellationToken);
            Assert.Equal(expected.Select(e => (e.Seq, e.AmountUsd, e.BalanceAfterUsd, e.IdempotencyKey)), filed.Select(e => (e.Seq, e.AmountUsd, e.BalanceAfterUsd, e.IdempotencyKey)));
            Assert.Equal(expected.Sum(e => e.AmountUsd), balances.GetValueOrDefault(account));
        }

        var markers = await _ledgers.QueryAsync<TableEntity>(TableClient.CreateQueryFilter($"PartitionKey eq {LedgerTable.PartitionKey(bookId)} and RowKey ge 'k' and RowKey lt 'l'"), cancellationToken: TestContext.Current.CancellationToken).ToListAsync(TestContext.Current.CancellationToken);
        Assert.Equal(ofBook.Count, markers.Count);
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
