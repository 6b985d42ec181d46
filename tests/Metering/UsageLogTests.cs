using Billing.Metering;
using Billing.Usage;

namespace Billing.Tests.Metering;

/// <summary>The usage log's group commit at the limits of one Azure transaction (U2 records, B4).</summary>
public sealed class UsageLogTests(MeteringFixture cluster) : IClassFixture<MeteringFixture>
{
    [Fact]
    public async Task A_burst_larger_than_one_transaction_is_stored_whole_across_several_and_each_id_once_B4()
    {
        // ~6 MB of records at once: more than Azure's 4 MiB per transaction, so the log must split the burst.
        // 1,000 end users with 5 records each: within the 8 recent records per user a retry is recognised by
        // (docs/metering.md), whatever order the concurrent calls arrive in.
        var (_, app) = await cluster.NewAppAsync();
        var at = cluster.Clock.GetUtcNow();
        var log = cluster.Client.GetGrain<IUsageLogGrain>(UsageLogKey.For(app, at));
        var padding = new string('x', 200);
        var records = Enumerable.Range(0, 5000).Select(i => new UsageRecord(
            $"m-{i}-{padding}", app, "webchat", ChannelClass.Chat, $"kore-{i}-{padding}", $"user-{i % 1000}-{padding}", MessageKind.UserMessage, at,
            $"cs_{i % 500}", at, at, $"bs_{i % 500}", 0, at, at.AddMinutes(15), i < 500, i < 500 ? 0.20m : 0m, 0m, i < 500 ? 0.20m : 0m)).ToList();

        var results = await Task.WhenAll(records.Select(log.Record));
        var again = await log.Record(records[4321]);

        Assert.All(results, r => Assert.Equal(RecordOutcome.Recorded, r.Outcome));
        Assert.Equal(RecordOutcome.Duplicate, again.Outcome);
        var totals = await log.GetTotals();
        Assert.Equal((5000L, 500L, 100m), (totals.Requests, totals.BillingSessions, totals.ChargedUsd));
        var day = DateOnly.FromDateTime(at.UtcDateTime);
        var exported = new HashSet<string>();
        await foreach (var r in cluster.Client.ExportUsage(app, day, day))
            Assert.True(exported.Add(r.MessageId));
        Assert.Equal(5000, exported.Count);
    }
}
