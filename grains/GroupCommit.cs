using System.Diagnostics;
using Billing.Telemetry;

namespace Billing;

/// <summary>The rules of every group commit here (ledger books, usage logs): how a batch gathers before it is written, and how its write is measured.</summary>
public static class GroupCommit
{
    /// <summary>
    /// Lets the callers of the next moments join the batch that is about to be written. A few milliseconds of window
    /// turn many small storage transactions into a few large ones (each costs CPU and a round trip); with no window,
    /// only the callers of this moment join. Awaited on the caller's context, so a grain's turn rules stay as they are.
    /// </summary>
    /// <remarks>
    /// Never completes synchronously: callers start it as <c>_flushing ??= FlushAsync()</c>, and a flush that ran to its
    /// end before that assignment would leave a finished task there and no flush ever again. <see cref="Task.Delay(TimeSpan)"/>
    /// truncates to whole milliseconds and completes at once below 1 ms (found by a 0.5 ms window that hung the hot path).
    /// </remarks>
    public static async Task GatherAsync(TimeSpan window)
    {
        if (window >= TimeSpan.FromMilliseconds(1))
            await Task.Delay(window);
        else
            await Task.Yield();
    }

    /// <summary>
    /// Writes one gathered batch and records, under the owner's <paramref name="log"/> name, how many items it carried
    /// and how long the storage write took (<c>billing.group_commit.*</c>); a failed write records nothing.
    /// </summary>
    public static async Task<T> WriteAsync<T>(BillingMetrics? metrics, string log, int items, Func<Task<T>> write)
    {
        var started = Stopwatch.GetTimestamp();
        var result = await write();
        metrics?.GroupCommit(log, items, Stopwatch.GetElapsedTime(started));
        return result;
    }
}
