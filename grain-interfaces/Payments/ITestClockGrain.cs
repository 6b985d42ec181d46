using Orleans.Concurrency;

namespace Billing.Payments;

/// <summary>
/// A sandbox workspace's test clock (keyed by workspace id), as in Stripe's test clocks: an offset that the payment,
/// subscription and invoice grains and the free-credit expiry of that workspace add to the billing clock. Only a silo whose gateway is the
/// sandbox lets it move; everywhere else the offset stays zero, so production time is untouched.
/// </summary>
public interface ITestClockGrain : IGrainWithStringKey
{
    /// <summary>The offset; interleaves because the grains that <see cref="Advance"/> wakes read it back.</summary>
    [AlwaysInterleave]
    Task<TimeSpan> GetOffset();

    /// <summary>
    /// Moves the workspace's time forward by <paramref name="by"/> and runs everything that falls due: the workspace's
    /// free-credit expiry (C2), then in its apps renewal notices, renewals, dunning retries, reload retries and
    /// card-expiry notices. Answers the new workspace time.
    /// </summary>
    Task<DateTimeOffset> Advance(TimeSpan by);
}
