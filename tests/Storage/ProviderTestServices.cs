using System.Net;
using Billing.Storage.Clustering;
using Billing.Storage.Reminders;
using Billing.Tests.Infrastructure;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Orleans;
using Orleans.Configuration;
using Orleans.Runtime;

namespace Billing.Tests.Storage;

/// <summary>
/// Builds the reminder and membership providers the way the silo's container does, each on a table of its own in
/// the run's Azurite and with its own service and cluster ids, so tests never see each other's rows.
/// </summary>
internal static class ProviderTestServices
{
    private static int _generation = Random.Shared.Next(1, 1_000_000);

    public static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    public static ClusterOptions NewClusterOptions() => new()
    {
        ClusterId = "cluster-" + Guid.NewGuid().ToString("N")[..8],
        ServiceId = "svc-" + Guid.NewGuid().ToString("N")[..8],
    };

    public static async Task<AzureTableReminderTable> StartReminderTableAsync(AzuriteFixture azurite, ClusterOptions? cluster = null, string? tableName = null)
    {
        var table = new AzureTableReminderTable(
            Options.Create(new AzureTableReminderOptions { ConnectionString = azurite.ConnectionString, TableName = tableName ?? AzuriteFixture.UniqueTableName("reminders") }),
            Options.Create(cluster ?? NewClusterOptions()),
            NullLogger<AzureTableReminderTable>.Instance);
        await table.StartAsync(Cancellation);
        return table;
    }

    public static AzureTableClusteringOptions ClusteringOptions(AzuriteFixture azurite, string? tableName = null) => new()
    {
        ConnectionString = azurite.ConnectionString,
        TableName = tableName ?? AzuriteFixture.UniqueTableName("membership"),
    };

    public static async Task<AzureTableMembershipTable> StartMembershipTableAsync(AzureTableClusteringOptions options, ClusterOptions cluster)
    {
        var table = new AzureTableMembershipTable(Options.Create(options), Options.Create(cluster), NullLogger<AzureTableMembershipTable>.Instance);
        await table.InitializeMembershipTableAsync(tryInitTableVersion: true, Cancellation);
        return table;
    }

    public static async Task<AzureTableGatewayListProvider> StartGatewayListProviderAsync(AzureTableClusteringOptions options, ClusterOptions cluster, GatewayOptions? gateway = null)
    {
        var provider = new AzureTableGatewayListProvider(
            Options.Create(options), Options.Create(cluster), Options.Create(gateway ?? new GatewayOptions()), NullLogger<AzureTableGatewayListProvider>.Instance);
        await provider.InitializeGatewayListProviderAsync(Cancellation);
        return provider;
    }

    /// <summary>A silo address no other test uses (the generation is unique within the run).</summary>
    public static SiloAddress NewSiloAddress(int port = 11111) =>
        SiloAddress.New(IPAddress.Loopback, port, Interlocked.Increment(ref _generation));

    public static MembershipEntry NewMembershipEntry(SiloStatus status = SiloStatus.Joining, DateTime? aliveAt = null)
    {
        var silo = NewSiloAddress();
        var now = aliveAt ?? DateTime.UtcNow;
        return new MembershipEntry
        {
            SiloAddress = silo,
            Status = status,
            ProxyPort = 30_000 + (silo.Generation % 1000),
            HostName = "host-" + silo.Generation,
            SiloName = "silo-" + silo.Generation,
            RoleName = "billing",
            UpdateZone = 3,
            FaultZone = 7,
            StartTime = now.AddMinutes(-1),
            IAmAliveTime = now,
            SuspectTimes = [],
        };
    }

    /// <summary>Every field Orleans reads back, in a form xunit compares and prints.</summary>
    public static object Fields(MembershipEntry e) => new
    {
        SiloAddress = e.SiloAddress.ToParsableString(),
        e.Status,
        e.ProxyPort,
        e.HostName,
        e.SiloName,
        e.RoleName,
        e.UpdateZone,
        e.FaultZone,
        StartTime = (e.StartTime.Ticks, e.StartTime.Kind),
        IAmAliveTime = (e.IAmAliveTime.Ticks, e.IAmAliveTime.Kind),
        SuspectTimes = string.Join(", ", (e.SuspectTimes ?? []).Select(s => $"{s.Item1.ToParsableString()}@{s.Item2.Ticks}/{s.Item2.Kind}")),
    };
}
