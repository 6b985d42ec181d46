namespace Billing;

/// <summary>
/// The time every billing rule reads. It wraps a <see cref="TimeProvider"/> but is its own service because the
/// Orleans runtime resolves <see cref="TimeProvider"/> from DI for its watchdog and activation collector: a
/// fake clock for billing tests must move billing time without freezing the runtime's own.
/// </summary>
public sealed class BillingClock(TimeProvider provider)
{
    public static BillingClock System { get; } = new(TimeProvider.System);

    public TimeProvider Provider => provider;

    public DateTimeOffset UtcNow => provider.GetUtcNow();
}
