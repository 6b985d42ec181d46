namespace Billing.Seats;

/// <summary>One agent login or logout, as a contact-center adapter reports it. <see cref="EventId"/> makes a redelivery harmless.</summary>
[GenerateSerializer, Immutable, Alias("billing.seats.agent-event")]
public sealed record AgentEvent(
    [property: Id(0)] string EventId,
    [property: Id(1)] string AgentId,
    [property: Id(2)] DateTimeOffset At,
    [property: Id(3)] bool IsLogin);

/// <summary>B5: the seats of one app in one billing period (calendar month, UTC).</summary>
[GenerateSerializer, Immutable, Alias("billing.seats.usage")]
public sealed record SeatUsage(
    [property: Id(0)] string AppId,
    [property: Id(1)] int Year,
    [property: Id(2)] int Month,
    [property: Id(3)] int NamedSeats,
    [property: Id(4)] int ConcurrentSeats,
    [property: Id(5)] Billing.Apps.SeatModel? SeatModel);

/// <summary>
/// Agent seats of one Contact Center AI or Agent AI app (keyed by the app id): named seats are the distinct
/// agents who logged in during a calendar month, concurrent seats the most logged in at once (B5).
/// </summary>
public interface ISeatGrain : IGrainWithStringKey
{
    /// <summary>Records a login or logout. Idempotent on <see cref="AgentEvent.EventId"/>.</summary>
    Task Record(AgentEvent agentEvent);

    /// <summary>The seats of the month of <paramref name="year"/>/<paramref name="month"/> (UTC).</summary>
    Task<SeatUsage> GetUsage(int year, int month);
}
