using Azure;
using Azure.Data.Tables;

namespace Billing.Journal;

/// <summary>
/// How both filers (<see cref="UsageFiler"/>, <see cref="LedgerFiler"/>) work through a pass: one pass at a time per
/// filer, so the partition state it caches has one writer here; the partitions of a pass in parallel; and each
/// partition's write tried again from freshly loaded state when another filer moved the partition (412) or the outcome
/// is unknown. Trying again is safe because filing is idempotent (by journal position, or by ledger sequence).
/// </summary>
internal sealed class FilingPass(int parallelism) : IDisposable
{
    /// <summary>Attempts per partition and pass; a partition still failing fails the pass, which the journal repeats later.</summary>
    public const int MaxAttempts = 5;

    private readonly SemaphoreSlim _gate = new(1, 1);

    /// <summary>
    /// Runs one pass: <paramref name="plan"/> (called once the pass holds the filer, so it may trim the filer's cache)
    /// names the partitions, <paramref name="file"/> files one of them.
    /// </summary>
    public async Task RunAsync<T>(Func<IReadOnlyList<T>> plan, Func<T, CancellationToken, Task> file, CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken);
        try
        {
            var partitions = plan();
            if (partitions.Count == 1)
                await file(partitions[0], cancellationToken);
            else if (partitions.Count > 1)
                await Parallel.ForEachAsync(partitions, new ParallelOptions { MaxDegreeOfParallelism = parallelism, CancellationToken = cancellationToken }, async (p, ct) => await file(p, ct));
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>
    /// Files one partition: <paramref name="attempt"/> loads what it needs (from the cache or storage) and writes; after a
    /// failure the partition's cached state is forgotten and it is tried again, up to <see cref="MaxAttempts"/>. A lost
    /// race (412) is expected between filers and not reported; other failures go to <paramref name="retrying"/>.
    /// </summary>
    public static async Task FileWithRetriesAsync(Func<Task> attempt, Action forgetCachedState, Action<Exception, int> retrying)
    {
        for (var n = 1; ; n++)
        {
            try
            {
                await attempt();
                return;
            }
            catch (Exception e) when (StorageFailures.IsTransient(e, includeCancellation: false))
            {
                forgetCachedState();
                if (n >= MaxAttempts)
                    throw;
                if (e is not TableTransactionFailedException { Status: 412 })
                    retrying(e, n);
            }
        }
    }

    public void Dispose() => _gate.Dispose();
}

/// <summary>
/// How large one filing write is and how many partitions a pass writes at once (<c>Metering:FilingTransactionChunks</c>,
/// <c>Metering:FilingParallelism</c>): the journal's commits, which decisions wait on, share the storage with them.
/// </summary>
public sealed record FilingLimits(int TransactionChunks, int Parallelism)
{
    public static readonly FilingLimits Default = new(4, 2);
}
