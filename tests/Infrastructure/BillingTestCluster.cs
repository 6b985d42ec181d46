using System.Collections.Concurrent;
using Billing.Notifications;
using Billing.Silo.Hosting;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Time.Testing;
using Orleans.Configuration;
using Orleans.Hosting;
using Orleans.TestingHost;

namespace Billing.Tests.Infrastructure;

/// <summary>
/// Starts an in-process Orleans cluster wired exactly like production storage: grain state, reminders and
/// membership on the official Orleans Azure Table providers, through one TableServiceClient per silo and client
/// (<c>AddBillingStorage</c>), on the test run's Azurite. Each cluster gets its own ClusterId and ServiceId, so
/// clusters started by parallel tests never see each other's silos, reminders or state.
/// </summary>
public static class BillingTestCluster
{
    private const string ClockKey = "Test:ClockId";
    private const string EventsKey = "Test:EventsId";
    private const string LogsKey = "Test:LogsId";

    // Silos are built from configuration only (TestCluster instantiates the configurators), so a test's fake
    // clock reaches them through this registry, keyed by an id passed in configuration.
    private static readonly ConcurrentDictionary<string, FakeTimeProvider> Clocks = new();
    private static readonly ConcurrentDictionary<string, RecordedBillingEvents> Events = new();
    private static readonly ConcurrentDictionary<string, Microsoft.Extensions.Logging.ILoggerProvider> Logs = new();

    /// <param name="events">
    /// When given, the silos hand their billing events to it instead of the production sink, so that a test of a
    /// producer can read what it raised. Tests of the notifications module leave it out and get the real outbox.
    /// </param>
    public static async Task<TestCluster> StartAsync(AzuriteFixture azurite, FakeTimeProvider clock, short silos = 2, IReadOnlyDictionary<string, string?>? settings = null, RecordedBillingEvents? events = null, Microsoft.Extensions.Logging.ILoggerProvider? logs = null)
    {
        var clockId = Guid.NewGuid().ToString("N");
        Clocks[clockId] = clock;
        var eventsId = "";
        if (events is not null)
        {
            eventsId = Guid.NewGuid().ToString("N");
            Events[eventsId] = events;
        }

        var logsId = "";
        if (logs is not null)
        {
            logsId = Guid.NewGuid().ToString("N");
            Logs[logsId] = logs;
        }

        var builder = new TestClusterBuilder(silos);
        builder.Options.UseTestClusterMembership = false;
        // Real sockets, not TestCluster's in-memory default: the API under test is an ordinary external client that
        // finds gateways in the Azure membership table and connects over TCP, as in production.
        builder.Options.ConnectionTransport = ConnectionTransportType.TcpSocket;
        builder.Options.ServiceId = "svc" + Guid.NewGuid().ToString("N")[..12];
        builder.ConfigureHostConfiguration(config => config.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Storage:ConnectionString"] = azurite.ConnectionString,
            [ClockKey] = clockId,
            [EventsKey] = eventsId,
            // The outbox's local default writes .eml files: into a folder of this cluster's, not the repository's.
            ["Notifications:PickupDirectory"] = Path.Combine(Path.GetTempPath(), "billing-test-mail", builder.Options.ServiceId),
            [LogsKey] = logsId,
        }).AddInMemoryCollection(settings ?? new Dictionary<string, string?>()));
        builder.AddSiloBuilderConfigurator<SiloConfigurator>();
        builder.AddClientBuilderConfigurator<ClientConfigurator>();

        var cluster = builder.Build();
        await cluster.DeployAsync();
        return cluster;
    }

    private sealed class SiloConfigurator : ISiloConfigurator
    {
        public void Configure(ISiloBuilder silo)
        {
            silo.Services.AddSingleton(new BillingClock(Clocks[silo.Configuration[ClockKey]!]));
            if (silo.Configuration[EventsKey] is { Length: > 0 } eventsId)
                silo.Services.AddSingleton<IBillingEventSink>(Events[eventsId]);
            // A test that must see what the silos log (e.g. that no card number is ever logged) adds its provider.
            if (silo.Configuration[LogsKey] is { Length: > 0 } logsId)
                silo.Services.AddSingleton(Logs[logsId]);
            silo.UseBillingClustering();
            silo.AddBillingGrains();

            // Let a killed silo be declared dead within seconds rather than the production minute.
            silo.Configure<ClusterMembershipOptions>(o =>
            {
                o.ProbeTimeout = TimeSpan.FromSeconds(1);
                o.NumMissedProbesLimit = 1;
                o.NumVotesForDeathDeclaration = 1;
                o.TableRefreshTimeout = TimeSpan.FromSeconds(1);
            });
            silo.Configure<ReminderOptions>(o => o.MinimumReminderPeriod = TimeSpan.FromSeconds(1));
        }
    }

    private sealed class ClientConfigurator : IClientBuilderConfigurator
    {
        public void Configure(IConfiguration configuration, IClientBuilder client)
        {
            client.Services.AddBillingStorage(configuration);
            client.UseBillingClustering();
        }
    }
}
