namespace Billing.Usage;

/// <summary>U1: one point of a usage trend: a day, or a month (its first day).</summary>
[GenerateSerializer, Immutable, Alias("billing.usage.trend-point")]
public sealed record UsageTrendPoint(
    [property: Id(0)] DateOnly Period,
    [property: Id(1)] long BillingSessions,
    [property: Id(2)] long Requests,
    [property: Id(3)] long ChatSessions,
    [property: Id(4)] long VoiceSessions);

public enum TrendGranularity
{
    Day = 0,
    Month = 1,
}

/// <summary>
/// Reads usage across days for trends and exports (U1, U2). Stateless: it reads the <c>Usage</c> table, never a
/// writer's memory, so queries do not disturb the hot path.
/// </summary>
public interface IUsageQueryGrain : IGrainWithIntegerKey
{
    /// <summary>Sessions and requests of <paramref name="appIds"/> summed per day or month over [<paramref name="from"/>, <paramref name="to"/>].</summary>
    Task<IReadOnlyList<UsageTrendPoint>> GetTrend(IReadOnlyList<string> appIds, DateOnly from, DateOnly to, TrendGranularity granularity);
}

/// <summary>
/// One export (U2), keyed by a fresh id per export: the stream's enumerator lives in this activation between the
/// caller's pulls. Not a stateless worker, whose successive calls may reach another activation that has no record of
/// the enumerator (seen under load as <c>EnumerationAbortedException</c>).
/// </summary>
public interface IUsageExportGrain : IGrainWithGuidKey
{
    /// <summary>Every record of <paramref name="appId"/> from day <paramref name="from"/> to <paramref name="to"/>, streamed in order of storage.</summary>
    IAsyncEnumerable<UsageRecord> Export(string appId, DateOnly from, DateOnly to, CancellationToken cancellationToken = default);
}

public static class UsageExports
{
    /// <summary>Streams an export from its own grain (see <see cref="IUsageExportGrain"/>).</summary>
    public static IAsyncEnumerable<UsageRecord> ExportUsage(this IGrainFactory grains, string appId, DateOnly from, DateOnly to, CancellationToken cancellationToken = default) =>
        grains.GetGrain<IUsageExportGrain>(Guid.NewGuid()).Export(appId, from, to, cancellationToken);
}
