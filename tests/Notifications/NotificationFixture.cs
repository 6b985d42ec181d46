using Billing.Apps;
using Billing.Notifications;
using Billing.Tests.Infrastructure;
using Billing.Users;
using Billing.Workspaces;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using Orleans.TestingHost;

namespace Billing.Tests.Notifications;

/// <summary>
/// A cluster on Azurite with the real outbox delivering to a real SMTP server on loopback (in process), a fake
/// billing clock that drives the back-off, 3 attempts with 1 and 5 minute delays.
/// </summary>
public class NotificationFixture(AzuriteFixture azurite) : IAsyncLifetime
{
    public const string FromAddress = "billing@example.test";

    protected virtual short Silos => 1;

    public FakeTimeProvider Clock { get; } = new(new DateTimeOffset(2026, 11, 3, 9, 0, 0, TimeSpan.Zero));

    public SmtpTestServer Smtp { get; private set; } = null!;

    public TestCluster Cluster { get; private set; } = null!;

    public IClusterClient Client => Cluster.Client;

    public async ValueTask InitializeAsync()
    {
        Smtp = await SmtpTestServer.StartAsync();
        Cluster = await BillingTestCluster.StartAsync(azurite, Clock, Silos, new Dictionary<string, string?>
        {
            ["Notifications:PortalBaseUrl"] = SampleWorld.PortalBaseUrl,
            ["Notifications:FromAddress"] = FromAddress,
            ["Notifications:Smtp:Host"] = "127.0.0.1",
            ["Notifications:Smtp:Port"] = Smtp.Port.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["Notifications:Smtp:Security"] = "None",
            ["Notifications:Smtp:Timeout"] = "00:00:10",
            ["Notifications:MaxAttempts"] = "3",
            ["Notifications:RetryDelays:0"] = "00:01:00",
            ["Notifications:RetryDelays:1"] = "00:05:00",
        });
    }

    public async ValueTask DisposeAsync()
    {
        await Cluster.StopAllSilosAsync();
        await Cluster.DisposeAsync();
        await Smtp.DisposeAsync();
        GC.SuppressFinalize(this);
    }

    /// <summary>Raises an event the way a producing grain does: through the silo's <see cref="IBillingEventSink"/>.</summary>
    public Task Publish(BillingEvent billingEvent) =>
        ((InProcessSiloHandle)Cluster.Silos[0]).ServiceProvider.GetRequiredService<IBillingEventSink>().Publish(billingEvent, TestContext.Current.CancellationToken);

    /// <summary>Runs a delivery pass on every shard now (what the reminder does once a minute); answers the emails sent.</summary>
    public async Task<int> DeliverAll()
    {
        var sent = 0;
        for (var shard = 0; shard < OutboxShards.Count; shard++)
            sent += await Client.GetGrain<IOutboxGrain>(shard).Deliver();
        return sent;
    }

    /// <summary>The outbox messages of one event, whatever their status.</summary>
    public async Task<IReadOnlyList<OutboxMessageView>> OutboxOf(string eventId)
    {
        var shard = Client.GetGrain<IOutboxGrain>(OutboxShards.OfEvent(eventId));
        var all = new List<OutboxMessageView>();
        foreach (var status in Enum.GetValues<OutboxStatus>())
            all.AddRange((await shard.List(status, OutboxShards.MaxListLimit)).Where(m => m.EventId == eventId));
        return all;
    }

    public Task RecordUser(string userId, string email, string name = "") => Client.GetGrain<IUserGrain>(userId).Record(new UserProfile(email, name));

    public static string EmailOf(string userId) => $"{userId}@example.test";

    /// <summary>A workspace with one app whose owner and buyer have addresses, and an address to invite.</summary>
    public async Task<SampleWorld> NewWorld()
    {
        var world = SampleWorld.New();
        await RecordUser(world.OwnerUserId, EmailOf(world.OwnerUserId), "Ada Owner");
        await RecordUser(world.BuyerUserId, EmailOf(world.BuyerUserId), "Bob Buyer");
        await Client.GetGrain<IWorkspaceGrain>(world.WorkspaceId).Create(new CreateWorkspace(SampleWorld.WorkspaceName, world.OwnerUserId));
        await Client.GetGrain<IAppGrain>(world.AppId).Create(new CreateApp(world.WorkspaceId, SampleWorld.AppName, Product.AutomationAi, world.OwnerUserId, null));
        return world;
    }
}
