using System.Collections.Concurrent;

namespace Billing.Tests.Rules;

/// <summary>The gathering step of every group commit (ledger books, usage logs).</summary>
public sealed class GroupCommitTests
{
    /// <summary>
    /// A flush is started as <c>_flushing ??= FlushAsync()</c>: if gathering completed synchronously, a flush could end
    /// before the assignment and leave a finished task behind, and no batch would be written again (the hot path hung
    /// with a 0.5 ms window, which <see cref="Task.Delay(TimeSpan)"/> truncates to 0). Gathering runs on a context that
    /// holds its continuations until the test runs them, so "not completed when it returns" cannot be raced by a
    /// thread-pool thread finishing it first.
    /// </summary>
    [Theory]
    [InlineData(0.0)]
    [InlineData(0.5)]
    [InlineData(0.999)]
    [InlineData(1.0)]
    [InlineData(5.0)]
    public void Gathering_never_completes_synchronously_whatever_the_window(double windowMs)
    {
        using var context = new HeldContinuations();
        var previous = SynchronizationContext.Current;
        Task gathering;
        SynchronizationContext.SetSynchronizationContext(context);
        try
        {
            gathering = GroupCommit.GatherAsync(TimeSpan.FromMilliseconds(windowMs));
        }
        finally
        {
            SynchronizationContext.SetSynchronizationContext(previous);
        }

        Assert.False(gathering.IsCompleted);
        while (!gathering.IsCompleted)
            context.RunNext(); // blocks until the yield or the window's timer posts the continuation
        Assert.True(gathering.IsCompletedSuccessfully);
    }

    /// <summary>A synchronization context that runs what is posted to it only when asked.</summary>
    private sealed class HeldContinuations : SynchronizationContext, IDisposable
    {
        private readonly BlockingCollection<(SendOrPostCallback Callback, object? State)> _posted = [];

        public override void Post(SendOrPostCallback d, object? state) => _posted.Add((d, state));

        public void RunNext()
        {
            var (callback, state) = _posted.Take(TestContext.Current.CancellationToken);
            callback(state);
        }

        public void Dispose() => _posted.Dispose();
    }
}
