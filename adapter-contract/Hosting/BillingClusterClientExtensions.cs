using Azure.Data.Tables;
using Billing.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Orleans.Configuration;

// The convention of Microsoft.Extensions.Hosting: builder extensions are found without an extra using.
namespace Microsoft.Extensions.Hosting;

public static class BillingClusterClientExtensions
{
    /// <summary>
    /// Joins the billing cluster as an Orleans client: reads <c>Storage:ConnectionString</c> or
    /// <c>Storage:TableServiceUri</c> and <c>Orleans:ClusterId</c>/<c>Orleans:ServiceId</c> (refusing to start,
    /// naming the setting, when they are unusable), registers the process's one <see cref="TableServiceClient"/> and
    /// finds the cluster's gateways in its membership table (the official Orleans Azure clustering).
    /// <paramref name="configure"/> adds to the client (e.g. a connection retry filter).
    /// </summary>
    public static IHostApplicationBuilder AddBillingClusterClient(this IHostApplicationBuilder builder, Action<IClientBuilder>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Services.AddBillingStorage(builder.Configuration);
        var cluster = ClusterSettings.From(builder.Configuration);
        builder.Services.AddSingleton(cluster);
        builder.UseOrleansClient(client =>
        {
            client.Configure<ClusterOptions>(o =>
            {
                o.ClusterId = cluster.ClusterId;
                o.ServiceId = cluster.ServiceId;
            });
            client.UseBillingClustering();
            configure?.Invoke(client);
        });
        return builder;
    }

    /// <summary>
    /// Finds the cluster's gateways in the silos' membership table, through the <see cref="TableServiceClient"/>
    /// registered by <see cref="BillingStorageExtensions.AddBillingStorage"/>.
    /// </summary>
    public static IClientBuilder UseBillingClustering(this IClientBuilder client)
    {
        ArgumentNullException.ThrowIfNull(client);
        return client.UseAzureStorageClustering(options => options.Configure<TableServiceClient>((o, tables) => o.TableServiceClient = tables));
    }
}
