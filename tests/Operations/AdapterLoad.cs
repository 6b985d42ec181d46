using System.Collections.Concurrent;
using System.Diagnostics;
using Billing.Metering;

namespace Billing.Tests.Operations;

/// <summary>
/// Steady channel-adapter traffic for one app while the cluster changes under it: each adapter sends one end-user
/// message after another, every fourth from a new end user (so billing sessions keep opening and being charged), and
/// delivers each message again with the same id until it is answered, as a real adapter does (B4). A message that gets
/// no answer within <see cref="AnswerBound"/> fails the load.
/// </summary>
public sealed class AdapterLoad : IAsyncDisposable
{
    public static readonly TimeSpan AnswerBound = TimeSpan.FromSeconds(60);

    /// <summary>Each adapter's pause between messages: steady traffic that leaves the machine's cores to the silos' changes.</summary>
    public static readonly TimeSpan Pace = TimeSpan.FromMilliseconds(25);

    private readonly IClusterClient _client;
    private readonly string _appId;
    private readonly CancellationTokenSource _stop = new();
    private readonly List<Task> _adapters = [];
    private int _redeliveries;

    private AdapterLoad(IClusterClient client, string appId)
    {
        _client = client;
        _appId = appId;
    }

    /// <summary>Every answered message's decision, by message id.</summary>
    public ConcurrentDictionary<string, (ChannelMessage Message, MeterDecision Decision)> Answered { get; } = new();

    /// <summary>Deliveries that failed (a silo gone, a call timed out) and were made again with the same message id.</summary>
    public int Redeliveries => _redeliveries;

    public static AdapterLoad Start(IClusterClient client, string appId, int adapters)
    {
        var load = new AdapterLoad(client, appId);
        for (var a = 0; a < adapters; a++)
        {
            var adapter = a;
            load._adapters.Add(Task.Run(() => load.RunAdapter(adapter)));
        }

        return load;
    }

    /// <summary>A message of the given end user, as an adapter reports it now.</summary>
    public ChannelMessage Message(string user) =>
        new("m-" + Guid.NewGuid().ToString("N"), _appId, "webchat", ChannelClass.Chat, user, "kore-" + user, DateTimeOffset.UtcNow, MessageKind.UserMessage);

    /// <summary>Delivers <paramref name="message"/> until it is answered (the same id each time), within <see cref="AnswerBound"/>.</summary>
    public async Task<MeterDecision> Deliver(ChannelMessage message)
    {
        var deadline = Stopwatch.StartNew();
        while (true)
        {
            try
            {
                return await _client.Meter(message);
            }
            catch (Exception e) when (e is not OperationCanceledException && deadline.Elapsed < AnswerBound)
            {
                // The silo that held the session grain, or the gateway, is gone: deliver again, as adapters do (B4).
                Interlocked.Increment(ref _redeliveries);
                await Task.Delay(200);
            }
        }
    }

    /// <summary>Waits until <paramref name="count"/> more messages than now are answered: the load is flowing.</summary>
    public async Task WaitForMoreAnswers(int count, TimeSpan bound)
    {
        var target = Answered.Count + count;
        var deadline = Stopwatch.StartNew();
        while (Answered.Count < target)
        {
            ThrowIfFailed();
            Assert.True(deadline.Elapsed < bound, $"Only {Answered.Count} of {target} messages answered within {bound}.");
            await Task.Delay(50, TestContext.Current.CancellationToken);
        }
    }

    /// <summary>Stops sending; every message sent is answered by then, or this throws.</summary>
    public async Task StopAsync()
    {
        await _stop.CancelAsync();
        await Task.WhenAll(_adapters);
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        try
        {
            await Task.WhenAll(_adapters);
        }
        catch
        {
            // Disposal after a failed test: the test reports the failure.
        }

        _stop.Dispose();
    }

    private void ThrowIfFailed()
    {
        var failed = _adapters.FirstOrDefault(t => t.IsFaulted);
        if (failed is not null)
            throw new InvalidOperationException("An adapter failed.", failed.Exception);
    }

    private async Task RunAdapter(int adapter)
    {
        for (var sent = 0; !_stop.IsCancellationRequested; sent++)
        {
            var message = Message($"a{adapter}-u{sent / 4}");
            var decision = await Deliver(message);
            Assert.True(decision.IsAllowed, $"{message.MessageId} was denied: {decision.Reason}");
            Answered[message.MessageId] = (message, decision);
            await Task.Delay(Pace);
        }
    }
}
