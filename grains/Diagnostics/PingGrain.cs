namespace Billing.Diagnostics;

public sealed class PingGrain : Grain, IPingGrain
{
    Task<int> IPingGrain.Ping(int value) => Task.FromResult(value + 1);
}
