using Azure.Data.Tables;
using Billing.Hosting;
using Billing.Storage.Hosting;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Billing.Api.Health;

public static class ApiObservability
{
    /// <summary>
    /// The service defaults (OpenTelemetry, the storage readiness check) and the API's own readiness: the cluster
    /// answers through a gateway. The storage check takes the process's <see cref="TableServiceClient"/>; one is
    /// registered here only if the host has none.
    /// </summary>
    public static WebApplicationBuilder AddBillingApiObservability(this WebApplicationBuilder builder)
    {
        builder.AddBillingServiceDefaults();
        builder.Services.TryAddSingleton(sp => new TableServiceClient(sp.GetRequiredService<Microsoft.Extensions.Options.IOptions<StorageSettings>>().Value.ConnectionString));
        builder.Services.AddHealthChecks().AddCheck<ClusterHealthCheck>("cluster", tags: [BillingServiceDefaults.ReadyTag]);
        return builder;
    }
}
