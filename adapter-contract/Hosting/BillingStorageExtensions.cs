using Azure.Data.Tables;
using Azure.Identity;
using Billing.Hosting;
using Microsoft.Extensions.Azure;
using Microsoft.Extensions.Configuration;

// The convention of Microsoft.Extensions: service registrations are found without an extra using.
namespace Microsoft.Extensions.DependencyInjection;

public static class BillingStorageExtensions
{
    /// <summary>
    /// Registers the process's one <see cref="TableServiceClient"/> (Microsoft.Extensions.Azure's <c>AddAzureClients</c>)
    /// from <see cref="StorageSettings"/>: <c>Storage:ConnectionString</c>, or <c>Storage:TableServiceUri</c> with
    /// <see cref="DefaultAzureCredential"/>. The Orleans providers and every table of the product take it from DI.
    /// Unusable settings throw here, naming the setting. Registering twice in one container is harmless.
    /// </summary>
    public static IServiceCollection AddBillingStorage(this IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(services);
        if (services.Any(d => d.ServiceType == typeof(StorageSettings)))
            return services;

        var settings = StorageSettings.From(configuration);
        services.AddSingleton(settings);
        services.AddAzureClients(clients =>
        {
            var table = settings.TableServiceUri is { Length: > 0 } uri
                ? clients.AddTableServiceClient(new Uri(uri))
                : clients.AddTableServiceClient(settings.ConnectionString!);
            if (settings.TableServiceUri is { Length: > 0 })
                clients.UseCredential(new DefaultAzureCredential());

            // The SDK's per-request logging and distributed tracing cost ~10% of this client's CPU on the metering hot
            // path (measured, docs/benchmarks.md); Orleans and the product's own logs already name every failure.
            table.ConfigureOptions(o =>
            {
                o.Diagnostics.IsLoggingEnabled = false;
                o.Diagnostics.IsDistributedTracingEnabled = false;
            });
        });
        return services;
    }
}
