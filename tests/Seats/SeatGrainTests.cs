using Billing.Apps;
using Billing.Errors;
using Billing.Seats;
using Billing.Tests.Infrastructure;
using Microsoft.Extensions.Time.Testing;
using Orleans.TestingHost;

namespace Billing.Tests.Seats;

/// <summary>B5 through the seat grain, on a real cluster whose grain state lives in Azurite.</summary>
public sealed class SeatGrainTests(AzuriteFixture azurite) : IAsyncLifetime
{
    private static readonly DateTimeOffset Nov2 = new(2026, 11, 2, 0, 0, 0, TimeSpan.Zero);

    // Billing time is mid-December 2026: every event below is in the past, none is older than the retained months.
    private readonly FakeTimeProvider _clock = new(new DateTimeOffset(2026, 12, 15, 12, 0, 0, TimeSpan.Zero));
    private TestCluster _cluster = null!;

    public async ValueTask InitializeAsync() => _cluster = await BillingTestCluster.StartAsync(azurite, _clock, silos: 1);

    public async ValueTask DisposeAsync()
    {
        await _cluster.StopAllSilosAsync();
        await _cluster.DisposeAsync();
    }

    [Fact]
    public async Task Hundred_agents_in_three_shifts_of_at_most_fifty_are_100_named_and_50_concurrent_B5()
    {
        var seats = await SeatApp(Product.ContactCenterAi);
        var shifts = new[] { (From: 0, Count: 50), (From: 50, Count: 30), (From: 80, Count: 20) };

        // Shift by shift in time order; a shift's logouts come at the instant the next shift logs in.
        for (var i = 0; i < shifts.Length; i++)
        {
            foreach (var agent in Enumerable.Range(shifts[i].From, shifts[i].Count))
                await seats.Record(Login($"agent-{agent}", Nov2.AddHours(8 * i)));
            foreach (var agent in Enumerable.Range(shifts[i].From, shifts[i].Count))
                await seats.Record(Logout($"agent-{agent}", Nov2.AddHours(8 * (i + 1))));
        }

        var usage = await seats.GetUsage(2026, 11);
        Assert.Equal((100, 50), (usage.NamedSeats, usage.ConcurrentSeats));
        Assert.Equal(SeatModel.Named, usage.SeatModel);
    }

    [Fact]
    public async Task A_redelivered_event_id_changes_nothing_B5()
    {
        var seats = await SeatApp(Product.AgentAi);
        var aIn = Login("a", Nov2.AddHours(9));
        await seats.Record(aIn);
        await seats.Record(Login("b", Nov2.AddHours(10)));
        await seats.Record(Logout("a", Nov2.AddHours(11)));
        var before = await seats.GetUsage(2026, 11);

        await seats.Record(aIn);
        // Push the first events out of the recent-id window: the per-agent event clock still recognises the replay.
        for (var i = 0; i < SeatLimits.RecentEventIds + 10; i++)
            await seats.Record(Logout("b", Nov2.AddHours(12).AddSeconds(i)));
        await seats.Record(Login("b", Nov2.AddHours(13)));
        await seats.Record(aIn);
        await seats.Record(Login("c", Nov2.AddHours(14)));

        Assert.Equal((2, 2), (before.NamedSeats, before.ConcurrentSeats));
        var after = await seats.GetUsage(2026, 11);
        // Had a replay logged "a" back in, b, c and a would have been three at once.
        Assert.Equal((3, 2), (after.NamedSeats, after.ConcurrentSeats));
    }

    [Fact]
    public async Task A_logout_delivered_before_its_login_does_not_leave_the_agent_logged_in_B5()
    {
        var seats = await SeatApp(Product.ContactCenterAi);

        await seats.Record(Logout("a", Nov2.AddHours(17)));
        await seats.Record(Login("a", Nov2.AddHours(9)));
        await seats.Record(Login("b", Nov2.AddHours(18)));

        var usage = await seats.GetUsage(2026, 11);
        Assert.Equal((2, 1), (usage.NamedSeats, usage.ConcurrentSeats));
    }

    [Fact]
    public async Task Events_for_an_app_not_billed_per_seat_are_refused_B5()
    {
        var automation = await SeatApp(Product.AutomationAi);
        var missing = _cluster.Client.GetGrain<ISeatGrain>("app_" + Guid.NewGuid().ToString("N"));

        var notSeats = await Assert.ThrowsAsync<BillingException>(() => automation.Record(Login("a", Nov2)));
        var notFound = await Assert.ThrowsAsync<BillingException>(() => missing.Record(Login("a", Nov2)));

        Assert.Equal((BillingErrorKind.Invalid, "seats.app.not-seat-billed"), (notSeats.Kind, notSeats.Code));
        Assert.Equal((BillingErrorKind.NotFound, "app.not-found"), (notFound.Kind, notFound.Code));
    }

    public static TheoryData<string, string, int, string> BadEvents => new()
    {
        { "", "agent", 0, "eventId" },
        { new string('e', SeatLimits.MaxEventIdLength + 1), "agent", 0, "eventId" },
        { "e1", " ", 0, "agentId" },
        { "e1", new string('a', SeatLimits.MaxAgentIdLength + 1), 0, "agentId" },
        { "e1", "agent", 1, "at" },   // dated after now
        { "e1", "agent", -14, "at" }, // older than the retained months
    };

    [Theory]
    [MemberData(nameof(BadEvents))]
    public async Task A_bad_event_is_refused_naming_the_field_and_counts_nothing_B5(string eventId, string agentId, int monthsFromNow, string field)
    {
        var seats = await SeatApp(Product.ContactCenterAi);
        var at = _clock.GetUtcNow().AddMonths(monthsFromNow);

        var error = await Assert.ThrowsAsync<BillingException>(() => seats.Record(new AgentEvent(eventId, agentId, at, IsLogin: true)));

        Assert.Equal((BillingErrorKind.Invalid, field), (error.Kind, error.Field));
        var usage = await seats.GetUsage(at.Year, at.Month);
        Assert.Equal((0, 0), (usage.NamedSeats, usage.ConcurrentSeats));
    }

    [Fact]
    public async Task An_agent_logged_in_across_a_month_boundary_counts_in_both_months_B5()
    {
        var seats = await SeatApp(Product.ContactCenterAi);
        var midnight = new DateTimeOffset(2026, 11, 1, 0, 0, 0, TimeSpan.Zero);

        await seats.Record(Login("night", midnight.AddHours(-2)));
        await seats.Record(Login("late", midnight.AddHours(-1)));
        await seats.Record(Logout("late", midnight.AddMinutes(-30)));
        await seats.Record(Logout("night", midnight.AddHours(6)));
        await seats.Record(Login("day", midnight.AddHours(8)));
        await seats.Record(Logout("day", midnight.AddHours(16)));
        // Logged in on the last evening of November and never out: December counts it before any December event.
        await seats.Record(Login("evening", new DateTimeOffset(2026, 11, 30, 20, 0, 0, TimeSpan.Zero)));

        var october = await seats.GetUsage(2026, 10);
        var november = await seats.GetUsage(2026, 11);
        var december = await seats.GetUsage(2026, 12);
        Assert.Equal((2, 2), (october.NamedSeats, october.ConcurrentSeats));
        Assert.Equal((3, 1), (november.NamedSeats, november.ConcurrentSeats));
        Assert.Equal((1, 1), (december.NamedSeats, december.ConcurrentSeats));
    }

    [Fact]
    public async Task Seat_counts_survive_grain_deactivation_B5()
    {
        var seats = await SeatApp(Product.ContactCenterAi);
        var e1 = Login("a", Nov2.AddHours(9));
        await seats.Record(e1);
        await seats.Record(Login("b", Nov2.AddHours(10)));

        var management = _cluster.Client.GetGrain<IManagementGrain>(0);
        Assert.True(await IsActive(management, seats));
        await management.ForceActivationCollection(TimeSpan.Zero);
        Assert.False(await IsActive(management, seats));

        await seats.Record(e1); // the event ids came back with the state: still a duplicate
        var usage = await seats.GetUsage(2026, 11);
        Assert.Equal((2, 2), (usage.NamedSeats, usage.ConcurrentSeats));
    }

    [Fact]
    public async Task Seats_answer_the_apps_seat_model_as_it_is_now_also_after_reactivation_B5()
    {
        var seats = await SeatApp(Product.ContactCenterAi);
        var app = _cluster.Client.GetGrain<IAppGrain>(seats.GetPrimaryKeyString());
        await seats.Record(Login("a", Nov2.AddHours(9)));
        var first = await seats.GetUsage(2026, 11);

        await app.SetSeatModel(SeatModel.Concurrent);
        var changed = await seats.GetUsage(2026, 11);
        await seats.Record(Login("b", Nov2.AddHours(10))); // the per-event path keeps working on the same activation
        await _cluster.Client.GetGrain<IManagementGrain>(0).ForceActivationCollection(TimeSpan.Zero);
        await app.SetSeatModel(SeatModel.Named);
        var reactivated = await seats.GetUsage(2026, 11);

        Assert.Equal(SeatModel.Named, first.SeatModel);
        Assert.Equal(SeatModel.Concurrent, changed.SeatModel);
        Assert.Equal(SeatModel.Named, reactivated.SeatModel);
        Assert.Equal((2, 2), (reactivated.NamedSeats, reactivated.ConcurrentSeats));
    }

    private static async Task<bool> IsActive(IManagementGrain management, ISeatGrain seats) =>
        (await management.GetDetailedGrainStatistics()).Any(s => s.GrainId == seats.GetGrainId());

    private async Task<ISeatGrain> SeatApp(Product product)
    {
        var appId = "app_" + Guid.NewGuid().ToString("N");
        var workspaceId = "ws_" + Guid.NewGuid().ToString("N");
        await _cluster.Client.GetGrain<Billing.Workspaces.IWorkspaceGrain>(workspaceId).Create(new Billing.Workspaces.CreateWorkspace("Contact centre", "owner-1"));
        await _cluster.Client.GetGrain<IAppGrain>(appId).Create(new CreateApp(workspaceId, "Support desk", product, "owner-1", SeatModel: null));
        return _cluster.Client.GetGrain<ISeatGrain>(appId);
    }

    private static AgentEvent Login(string agent, DateTimeOffset at) => new(Guid.NewGuid().ToString("N"), agent, at, IsLogin: true);

    private static AgentEvent Logout(string agent, DateTimeOffset at) => new(Guid.NewGuid().ToString("N"), agent, at, IsLogin: false);
}
