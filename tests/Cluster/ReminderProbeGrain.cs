namespace Billing.Tests.Cluster;

public interface IReminderProbeGrain : IGrainWithStringKey
{
    Task Arm(TimeSpan period);

    /// <summary>Completes when the reminder has ticked <paramref name="count"/> times, or at the timeout; returns the ticks seen.</summary>
    /// <remarks>Interleaves so that the reminder's tick can run while this call waits for it.</remarks>
    [Orleans.Concurrency.AlwaysInterleave]
    Task<int> WaitForTicks(int count, TimeSpan timeout);
}

/// <summary>A grain whose only job is to prove that a reminder stored in the Azure reminder table fires.</summary>
public sealed class ReminderProbeGrain : Grain, IReminderProbeGrain, IRemindable
{
    private int _ticks;
    private TaskCompletionSource _ticked = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public Task Arm(TimeSpan period) => this.RegisterOrUpdateReminder("probe", period, period);

    public async Task<int> WaitForTicks(int count, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (_ticks < count && DateTime.UtcNow < deadline)
        {
            await Task.WhenAny(_ticked.Task, Task.Delay(deadline - DateTime.UtcNow));
            _ticked = new(TaskCreationOptions.RunContinuationsAsynchronously);
        }

        return _ticks;
    }

    public Task ReceiveReminder(string reminderName, TickStatus status)
    {
        _ticks++;
        _ticked.TrySetResult();
        return Task.CompletedTask;
    }
}
