using Billing.Hosting;

namespace Billing.Api.Health;

public static class ApiObservability
{
    /// <summary>
    /// The service defaults (OpenTelemetry, the storage readiness check) and the API's own readiness: the cluster
    /// answers through a gateway. The storage check takes the process's one
    /// <c>TableServiceClient</c> (registered with the cluster wiring).
    /// </summary>
    public static WebApplicationBuilder AddBillingApiObservability(this WebApplicationBuilder builder)
    {
        // A request may arrive in a sampled trace (a gateway's, a caller's): it is followed through.
        builder.AddBillingServiceDefaults(callersSendTraces: true);
        builder.Services.AddHealthChecks().AddCheck<ClusterHealthCheck>("cluster", tags: [BillingServiceDefaults.ReadyTag]);
        return builder;
    }
}
