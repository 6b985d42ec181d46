using Azure.Data.Tables;
using Billing.Storage.Hosting;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;

namespace Billing.Api.Health;

/// <summary>Ready only when the storage account answers.</summary>
public sealed class StorageHealthCheck(IOptions<StorageSettings> storage) : IHealthCheck
{
    private readonly TableServiceClient _client = new(storage.Value.ConnectionString);

    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        try
        {
            await foreach (var _ in _client.QueryAsync(maxPerPage: 1, cancellationToken: cancellationToken).AsPages(pageSizeHint: 1))
                break;
            return HealthCheckResult.Healthy();
        }
        catch (Exception e) when (e is Azure.RequestFailedException or HttpRequestException or AggregateException)
        {
            return HealthCheckResult.Unhealthy("Azure Table storage does not answer.", e);
        }
    }
}
