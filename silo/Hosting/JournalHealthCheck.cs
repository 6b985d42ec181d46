using Billing.Journal;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Billing.Silo.Hosting;

/// <summary>
/// Live and ready only while this silo's metering journal writes. A journal that stopped (fenced by a survivor that
/// took this silo for dead, or a write it could not settle) never writes again in this process, and every decision
/// routed to this silo fails: failing liveness as well as readiness makes the platform restart it, and its grains move
/// to the others. A storage outage does not stop the journal (it retries), so this check never restarts a silo for one.
/// </summary>
public sealed class JournalHealthCheck(SiloJournal journal) : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default) =>
        Task.FromResult(journal.Failure is { } failure
            ? HealthCheckResult.Unhealthy($"The metering journal {journal.JournalId} stopped writing; this silo decides nothing until it restarts.", failure)
            : HealthCheckResult.Healthy($"The metering journal {journal.JournalId} writes; committed through {journal.CommittedThrough}, filed through {journal.FiledThrough}."));
}
