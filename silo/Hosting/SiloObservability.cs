using Azure.Data.Tables;
using Billing.Hosting;
using Billing.Storage.Hosting;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Billing.Silo.Hosting;

public static class SiloObservability
{
    /// <summary>
    /// The service defaults (OpenTelemetry, the storage readiness check) and the silo's own readiness: active in the
    /// cluster. The storage check takes the process's <see cref="TableServiceClient"/>; one is registered here only if
    /// the host has none.
    /// </summary>
    public static WebApplicationBuilder AddBillingSiloObservability(this WebApplicationBuilder builder)
    {
        builder.AddBillingServiceDefaults();
        builder.Services.TryAddSingleton(_ => new TableServiceClient(
            builder.Configuration.GetSection(StorageSettings.Section).Get<StorageSettings>()?.ConnectionString ?? new StorageSettings().ConnectionString));
        builder.Services.AddHealthChecks().AddCheck<SiloHealthCheck>("silo", tags: [BillingServiceDefaults.ReadyTag]);
        return builder;
    }
}
