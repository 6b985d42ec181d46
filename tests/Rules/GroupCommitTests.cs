namespace Billing.Tests.Rules;

/// <summary>The gathering step of every group commit (ledger books, usage logs).</summary>
public sealed class GroupCommitTests
{
    /// <summary>
    /// A flush is started as <c>_flushing ??= FlushAsync()</c>: if gathering completed synchronously, a flush could end
    /// before the assignment and leave a finished task behind, and no batch would be written again (the hot path hung
    /// with a 0.5 ms window, which <see cref="Task.Delay(TimeSpan)"/> truncates to 0).
    /// </summary>
    [Theory]
    [InlineData(0.0)]
    [InlineData(0.5)]
    [InlineData(0.999)]
    [InlineData(1.0)]
    [InlineData(5.0)]
    public async Task Gathering_never_completes_synchronously_whatever_the_window(double windowMs)
    {
        var gathering = GroupCommit.GatherAsync(TimeSpan.FromMilliseconds(windowMs));

        Assert.False(gathering.IsCompleted);
        await gathering;
    }
}
