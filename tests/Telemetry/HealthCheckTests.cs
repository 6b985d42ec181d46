using Azure.Core;
using Azure.Data.Tables;
using Billing.Hosting;
using Billing.Journal;
using Billing.Metering;
using Billing.Silo.Hosting;
using Billing.Tests.Infrastructure;
using Billing.Usage;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using Orleans.TestingHost;

namespace Billing.Tests.Telemetry;

/// <summary>The readiness checks the silo and the API share or own, against a real cluster and a real (or absent) Azurite.</summary>
public sealed class HealthCheckTests(AzuriteFixture azurite)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static Task<HealthCheckResult> Check(IHealthCheck check) =>
        check.CheckHealthAsync(new HealthCheckContext { Registration = new HealthCheckRegistration("test", check, null, null) }, Ct);

    [Fact]
    public async Task Storage_is_ready_when_the_account_answers_and_not_when_nothing_listens()
    {
        var noRetries = new TableClientOptions { Retry = { MaxRetries = 0, NetworkTimeout = TimeSpan.FromSeconds(5) } };

        var answering = await Check(new StorageHealthCheck(azurite.ServiceClient));
        var silent = await Check(new StorageHealthCheck(new TableServiceClient(AzuriteConnectionString.For(FreePort.Next()), noRetries)));

        Assert.Equal(HealthStatus.Healthy, answering.Status);
        Assert.Equal(HealthStatus.Unhealthy, silent.Status);
    }

    [Fact]
    public async Task A_silo_is_ready_while_active_in_the_cluster_and_not_once_it_has_stopped()
    {
        var cluster = await BillingTestCluster.StartAsync(azurite, new FakeTimeProvider(DateTimeOffset.UtcNow), silos: 1);
        try
        {
            var services = ((InProcessSiloHandle)cluster.Silos[0]).ServiceProvider;
            var check = new SiloHealthCheck(services.GetRequiredService<IClusterMembershipService>(), services.GetRequiredService<ILocalSiloDetails>());

            var active = await Check(check);
            await cluster.StopAllSilosAsync();
            var stopped = await Check(check);

            Assert.Equal(HealthStatus.Healthy, active.Status);
            Assert.Equal(HealthStatus.Unhealthy, stopped.Status);
        }
        finally
        {
            await cluster.DisposeAsync();
        }
    }

    [Fact]
    public async Task A_silo_whose_metering_journal_was_fenced_is_neither_live_nor_ready()
    {
        // A survivor that took this silo for dead sealed its journal: no decision of this silo can be made durable again,
        // so the platform must restart it rather than keep routing to it.
        var cluster = await BillingTestCluster.StartAsync(azurite, new FakeTimeProvider(DateTimeOffset.UtcNow), silos: 1);
        try
        {
            var services = ((InProcessSiloHandle)cluster.Silos[0]).ServiceProvider;
            var journal = services.GetRequiredService<SiloJournal>();
            var check = new JournalHealthCheck(journal);
            var writing = await Check(check);

            await MeteringJournal.SealAsync(services.GetRequiredService<BillingTables>().Journal, journal.JournalId, "silo-survivor", NullLogger.Instance, Ct);
            var at = DateTimeOffset.UtcNow;
            var record = new UsageRecord("m-fenced", "app-fenced", "webchat", ChannelClass.Chat, "kore-1", "user-1", MessageKind.UserMessage, at,
                "cs_1", at, at, "bs_1", 0, at, at.AddMinutes(15), true, 0.20m, 0m, 0.20m);
            await Assert.ThrowsAsync<JournalSealedException>(() => journal.AppendAsync(record));
            var fenced = await Check(check);

            Assert.Equal(HealthStatus.Healthy, writing.Status);
            Assert.Equal(HealthStatus.Unhealthy, fenced.Status);
            Assert.IsType<JournalSealedException>(fenced.Exception);
        }
        finally
        {
            await cluster.DisposeAsync();
        }
    }
}
