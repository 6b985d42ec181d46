using System.Net;
using Azure.Data.Tables;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Orleans.Configuration;
using Orleans.Messaging;
using Orleans.Runtime;

namespace Billing.Storage.Clustering;

/// <summary>
/// Client-side gateway discovery: the gateway endpoints of the active silos listed in the cluster's membership
/// partition (see <see cref="AzureTableMembershipTable"/>). Read fresh on every call; Orleans polls it every
/// <see cref="GatewayOptions.GatewayListRefreshPeriod"/>.
/// </summary>
public sealed partial class AzureTableGatewayListProvider : IGatewayListProvider
{
    private static readonly string[] GatewayColumns =
    [
        MembershipRows.AddressProperty, MembershipRows.ProxyPortProperty, MembershipRows.GenerationProperty,
    ];

    private readonly TableClient _table;
    private readonly string _clusterId;
    private readonly string _partitionKey;
    private readonly ILogger<AzureTableGatewayListProvider> _logger;

    public AzureTableGatewayListProvider(
        IOptions<AzureTableClusteringOptions> options,
        IOptions<ClusterOptions> clusterOptions,
        IOptions<GatewayOptions> gatewayOptions,
        ILogger<AzureTableGatewayListProvider> logger)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(clusterOptions);
        ArgumentNullException.ThrowIfNull(gatewayOptions);
        ArgumentNullException.ThrowIfNull(logger);
        _clusterId = clusterOptions.Value.ClusterId ?? throw new ArgumentException("ClusterOptions.ClusterId is required.", nameof(clusterOptions));
        _partitionKey = MembershipRows.PartitionKey(_clusterId);
        AzureTableClusteringOptionsValidator.ThrowIfInvalid(options.Value);
        _table = options.Value.CreateTableClient();
        MaxStaleness = gatewayOptions.Value.GatewayListRefreshPeriod;
        _logger = logger;
    }

    public TimeSpan MaxStaleness { get; }

    public bool IsUpdatable => true;

    public Task InitializeGatewayListProvider() => InitializeGatewayListProviderAsync(CancellationToken.None);

    // A client may start before any silo has created the table; an empty table then means "no gateway yet".
    public async Task InitializeGatewayListProviderAsync(CancellationToken cancellationToken = default) =>
        await _table.CreateIfNotExistsAsync(cancellationToken).ConfigureAwait(false);

    public Task<IList<Uri>> GetGateways() => GetGatewaysAsync(CancellationToken.None);

    public async Task<IList<Uri>> GetGatewaysAsync(CancellationToken cancellationToken = default)
    {
        var active = nameof(SiloStatus.Active);
        var filter = TableClient.CreateQueryFilter($"PartitionKey eq {_partitionKey} and Status eq {active}");
        var gateways = new List<Uri>();
        await foreach (var row in _table.QueryAsync<TableEntity>(filter, select: GatewayColumns, cancellationToken: cancellationToken).ConfigureAwait(false))
        {
            // A silo with proxy port 0 accepts no clients.
            var proxyPort = row.GetInt32(MembershipRows.ProxyPortProperty) ?? 0;
            if (proxyPort <= 0)
                continue;

            var address = IPAddress.Parse(row.GetString(MembershipRows.AddressProperty));
            var generation = row.GetInt32(MembershipRows.GenerationProperty) ?? 0;
            gateways.Add(SiloAddress.New(address, proxyPort, generation).ToGatewayUri());
        }

        LogGatewaysFound(_logger, gateways.Count, _clusterId);
        return gateways;
    }

    [LoggerMessage(Level = LogLevel.Debug, Message = "Found {Count} active gateways of cluster {ClusterId}")]
    private static partial void LogGatewaysFound(ILogger logger, int count, string clusterId);
}
