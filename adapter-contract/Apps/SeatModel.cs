namespace Billing.Apps;

/// <summary>
/// B5: how agent seats of a Contact Center AI or Agent AI app are billed. Part of the adapter contract because
/// <see cref="Billing.Seats.SeatUsage"/> names it; the rest of the app records stay inside the cluster.
/// </summary>
public enum SeatModel
{
    Named = 0,
    Concurrent = 1,
}
