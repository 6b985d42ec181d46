namespace Billing.Diagnostics;

/// <summary>
/// A bare grain call: no state, no storage. The benchmark measures the metering decision against it on the
/// same path (client → gateway → silo) in the same run, so the ratio says what billing itself costs.
/// </summary>
public interface IPingGrain : IGrainWithStringKey
{
    Task<int> Ping(int value);
}
