using Billing.Ledgers;
using Billing.Usage;

namespace Billing.Journal;

/// <summary>
/// What one filing pass does with journal entries, the same for a silo's own journal and for a dead silo's: usage
/// records into the usage partitions, postings into their ledger books, then each app-day's usage log told what was
/// filed there, so that its index (where a starting billing-session grain finds its end user) is current without
/// reading the partition. The tell function answers the records it could not tell (their usage log did not answer).
/// </summary>
public sealed class JournalFiling(
    UsageFiler usage, LedgerFiler ledgers, Func<List<(long Position, UsageRecord Record)>, CancellationToken, Task<List<(long Position, UsageRecord Record)>>> tellUsageLogs) : IDisposable
{
    /// <summary>Files <paramref name="entries"/> and tells the usage logs; answers the usage records whose usage log was not told.</summary>
    public async Task<List<(long Position, UsageRecord Record)>> FileAsync(string journalId, IReadOnlyList<JournalEntry> entries, CancellationToken cancellationToken)
    {
        var records = new List<(long Position, UsageRecord Record)>(entries.Count);
        var postings = new List<JournaledPosting>();
        foreach (var entry in entries)
        {
            switch (entry.Content)
            {
                case UsageRecord record:
                    records.Add((entry.Position, record));
                    break;
                case JournaledPosting posting:
                    postings.Add(posting);
                    break;
            }
        }

        await Task.WhenAll(ledgers.FileAsync(postings, cancellationToken), usage.FileAsync(journalId, records, cancellationToken));
        // All of them, also those a retried pass found filed already: the pass that filed them may have failed before
        // telling. Indexing is idempotent by message id.
        return await tellUsageLogs(records, cancellationToken);
    }

    public void Dispose()
    {
        usage.Dispose();
        ledgers.Dispose();
    }
}
