using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Billing.Silo.Hosting;

/// <summary>
/// Ready only while this silo is Active in the cluster's membership: joining, shutting down or declared dead by the
/// others, it should take no traffic. Read from the membership snapshot the silo keeps anyway, so a probe costs no call.
/// </summary>
public sealed class SiloHealthCheck(IClusterMembershipService membership, ILocalSiloDetails silo) : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var snapshot = membership.CurrentSnapshot;
        var status = snapshot.GetSiloStatus(silo.SiloAddress);
        var active = snapshot.Members.Values.Count(m => m.Status == SiloStatus.Active);
        return Task.FromResult(status == SiloStatus.Active
            ? HealthCheckResult.Healthy($"Silo {silo.SiloAddress} is active; {active} active silo(s) in the cluster.")
            : HealthCheckResult.Unhealthy($"Silo {silo.SiloAddress} is {status} in the cluster's membership."));
    }
}
