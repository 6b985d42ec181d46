using Billing.Hosting;

namespace Billing.Silo.Hosting;

public static class SiloObservability
{
    /// <summary>
    /// The service defaults (OpenTelemetry, the storage readiness check) and the silo's own checks: active in the cluster
    /// (ready), and its metering journal writing (live and ready). The storage check takes the process's one
    /// <c>TableServiceClient</c> (registered with the grains).
    /// </summary>
    public static WebApplicationBuilder AddBillingSiloObservability(this WebApplicationBuilder builder)
    {
        // Nothing reaches the silo in a trace unless Orleans propagates them or an operator names a sampler.
        builder.AddBillingServiceDefaults(callersSendTraces: false);
        builder.Services.AddHealthChecks()
            .AddCheck<SiloHealthCheck>("silo", tags: [BillingServiceDefaults.ReadyTag])
            .AddCheck<JournalHealthCheck>("journal", tags: [BillingServiceDefaults.LiveTag, BillingServiceDefaults.ReadyTag]);
        return builder;
    }
}
