using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Billing.Api.Health;

/// <summary>Ready only when the cluster answers a management call through a gateway.</summary>
public sealed class ClusterHealthCheck(IClusterClient cluster) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        try
        {
            var silos = await cluster.GetGrain<IManagementGrain>(0).GetHosts(onlyActive: true, cancellationToken).WaitAsync(TimeSpan.FromSeconds(5), cancellationToken);
            return silos.Count > 0
                ? HealthCheckResult.Healthy($"{silos.Count} active silo(s).")
                : HealthCheckResult.Unhealthy("The cluster has no active silo.");
        }
        catch (Exception e) when (e is OrleansException or TimeoutException or InvalidOperationException or SiloUnavailableException)
        {
            return HealthCheckResult.Unhealthy("The Orleans cluster does not answer.", e);
        }
    }
}
