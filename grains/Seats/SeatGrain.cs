using Billing.Apps;
using Billing.Errors;
using Billing.Rules;

namespace Billing.Seats;

/// <summary>
/// Agent seats of one Contact Center AI or Agent AI app (B5), keyed by the app id.
/// <para>
/// Idempotency without unbounded state: a window of the <see cref="SeatLimits.RecentEventIds"/> latest event ids
/// drops exact redeliveries at once, and every agent keeps the time of its newest applied event, so a redelivery
/// older than the window is older than (or equal to) what the agent already reflects and changes nothing either
/// (see <see cref="SeatBook"/>). Counting is set-based, so a login seen twice adds no named seat. This keeps the
/// state proportional to agents and months, not to traffic, and needs no second table: one grain-state write per
/// event, atomic with the aggregates it updates (an id table would be a second write that can succeed while the
/// state write fails, or the reverse). See docs/seats.md.
/// </para>
/// <para>
/// The app's seat model is not kept here: the owner can change it at any time, so <see cref="ISeatGrain.GetUsage"/>
/// asks the app for it on every query. Only the app's product is checked once per activation, because it never changes;
/// the per-event path thus makes no call to the app after the first event.
/// </para>
/// </summary>
public sealed class SeatGrain(
    [PersistentState("seats", StorageNames.Billing)] IPersistentState<SeatState> seats,
    IGrainFactory grains,
    BillingClock clock) : Grain, ISeatGrain
{
    /// <summary>Whether this activation already found the app to exist and be seat-billed (its product never changes).</summary>
    private bool _seatBilled;

    async Task ISeatGrain.Record(AgentEvent agentEvent)
    {
        ArgumentNullException.ThrowIfNull(agentEvent);
        RequireText(agentEvent.EventId, "eventId", SeatLimits.MaxEventIdLength);
        RequireText(agentEvent.AgentId, "agentId", SeatLimits.MaxAgentIdLength);
        if (agentEvent.At == default)
            throw BillingException.Invalid("at", "seats.event.at.missing", "An agent event needs the time it happened.");
        var now = clock.UtcNow;
        if (agentEvent.At > now + SeatLimits.MaxClockSkew)
            throw BillingException.Invalid("at", "seats.event.at.future", $"The event is dated {agentEvent.At:O}, after the current time {now:O}.");
        if (SeatBook.MonthIndex(agentEvent.At) <= SeatBook.MonthIndex(now) - SeatLimits.RetainedMonths)
            throw TooOld(agentEvent);
        await RequireSeatBilledOnce();

        var outcome = SeatBook.Apply(seats.State, agentEvent.EventId, new SeatEvent(agentEvent.AgentId, agentEvent.At, agentEvent.IsLogin));
        switch (outcome)
        {
            case SeatOutcome.Duplicate:
                return;
            case SeatOutcome.TooOld:
                throw TooOld(agentEvent);
            case SeatOutcome.OverCapacity:
                throw BillingException.Conflict("seats.capacity", $"App '{this.GetPrimaryKeyString()}' already tracks {SeatLimits.MaxTrackedAgents} agents in the retained months.");
        }

        try
        {
            await seats.WriteStateAsync();
        }
        catch
        {
            // The in-memory state already holds this event (its id included), so a retry would be taken for a
            // duplicate: drop this activation and let the next call reload what storage really holds.
            DeactivateOnIdle();
            throw;
        }
    }

    async Task<SeatUsage> ISeatGrain.GetUsage(int year, int month)
    {
        if (year is < 2000 or > 9999)
            throw BillingException.Invalid("year", "seats.year.invalid", "The year is 2000 to 9999.");
        if (month is < 1 or > 12)
            throw BillingException.Invalid("month", "seats.month.invalid", "The month is 1 to 12.");
        // B5: the seat model as the app holds it now (PUT /apps/{id}/seat-model may have changed it since the last query).
        var app = await ReadSeatApp();
        var count = SeatBook.Usage(seats.State, SeatBook.MonthIndex(year, month), SeatBook.MonthIndex(clock.UtcNow));
        return new SeatUsage(app.Id, year, month, count.Named, count.Concurrent, app.SeatModel);
    }

    /// <summary>
    /// The per-event check, once per activation. A copy of the seat model is deliberately not cached beside it: pushed by
    /// the app on change it could be lost to a crash between the app's write and the call, and stored in the seat state
    /// it would be one more write to keep in step; read at query time it cannot be stale.
    /// </summary>
    private async Task RequireSeatBilledOnce()
    {
        if (_seatBilled)
            return;
        await ReadSeatApp();
        _seatBilled = true;
    }

    /// <summary>The app as it is now; refused when it is missing or not billed per seat.</summary>
    private async Task<AppView> ReadSeatApp()
    {
        var appId = this.GetPrimaryKeyString();
        var app = await grains.GetGrain<IAppGrain>(appId).Get()
            ?? throw BillingException.NotFound("app.not-found", $"App '{appId}' was not found.");
        if (app.Product is not (Product.ContactCenterAi or Product.AgentAi))
            throw BillingException.Invalid("appId", "seats.app.not-seat-billed", $"App '{appId}' is a {app.Product} app; only Contact Center AI and Agent AI apps are billed per agent seat (B5).");
        return app;
    }

    private static void RequireText(string? value, string field, int maxLength)
    {
        if (string.IsNullOrWhiteSpace(value) || value.Length > maxLength)
            throw BillingException.Invalid(field, $"seats.event.{field}.invalid", $"'{field}' is 1 to {maxLength} characters, not blank.");
    }

    private static BillingException TooOld(AgentEvent agentEvent) =>
        BillingException.Invalid("at", "seats.event.at.too-old", $"The event is dated {agentEvent.At:O}: only the last {SeatLimits.RetainedMonths} months are kept.");
}
