using Billing.Storage.Clustering;
using Microsoft.Extensions.DependencyInjection;
using Orleans.Messaging;

// Orleans' own convention: builder extensions live beside ISiloBuilder/IClientBuilder, so no extra using is needed.
namespace Orleans.Hosting;

public static class AzureTableClusteringExtensions
{
    /// <summary>
    /// Makes this silo keep cluster membership in an Azure table (<see cref="AzureTableMembershipTable"/>), partitioned
    /// by <see cref="Configuration.ClusterOptions.ClusterId"/>. The options are validated when the silo starts.
    /// </summary>
    public static ISiloBuilder UseAzureTableClustering(this ISiloBuilder builder, Action<AzureTableClusteringOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(configure);

        builder.Services.Configure(configure);
        builder.Services.AddSingleton<IMembershipTable, AzureTableMembershipTable>();
        builder.Services.AddSingleton<IConfigurationValidator, AzureTableClusteringOptionsValidator>();
        return builder;
    }

    /// <summary>
    /// Makes this client find the cluster's gateways in the silos' membership table
    /// (<see cref="AzureTableGatewayListProvider"/>): point it at the same table and ClusterId as the silos.
    /// </summary>
    public static IClientBuilder UseAzureTableClustering(this IClientBuilder builder, Action<AzureTableClusteringOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(configure);

        builder.Services.Configure(configure);
        builder.Services.AddSingleton<IGatewayListProvider, AzureTableGatewayListProvider>();
        builder.Services.AddSingleton<IConfigurationValidator, AzureTableClusteringOptionsValidator>();
        return builder;
    }
}
