using System.Text.Json.Serialization;
using Billing.Api.Errors;
using Billing.Api.Health;
using Billing.Api.Apps;
using Billing.Api.Metering;
using Billing.Api.Notifications;
using Billing.Api.Operators;
using Billing.Api.Usage;
using Billing.Api.Workspaces;
using Billing.Api.Overview;
using Billing.Api.RateLimiting;
using Billing.Api.Auth;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Billing.Api.Seats;
using Billing.Api.Idempotency;
using Billing.Api.Invoices;
using Billing.Api.Payments;
using Billing.Api.Subscriptions;
using Billing.Storage.Hosting;
using Microsoft.AspNetCore.Authentication.JwtBearer;
using Microsoft.Extensions.Options;
using Orleans.Configuration;
using Scalar.AspNetCore;

namespace Billing.Api.Hosting;

public static class BillingApiExtensions
{
    public static WebApplicationBuilder AddBillingApi(this WebApplicationBuilder builder)
    {
        var services = builder.Services;
        services.AddOptions<StorageSettings>().BindConfiguration(StorageSettings.Section).ValidateDataAnnotations().ValidateOnStart();
        services.AddOptions<ClusterSettings>().BindConfiguration(ClusterSettings.Section).ValidateDataAnnotations().ValidateOnStart();

        services.AddProblemDetails(o => o.CustomizeProblemDetails = ctx =>
            ctx.ProblemDetails.Extensions.TryAdd("traceId", ctx.HttpContext.TraceIdentifier));
        services.AddExceptionHandler<BillingExceptionHandler>();
        services.AddValidation();
        // Unreadable bodies (malformed JSON, wrong types) reach BillingExceptionHandler as exceptions, so they get the
        // same problem-detail shape, naming the field, as every other 400 (by default they are a bare 400).
        services.Configure<Microsoft.AspNetCore.Routing.RouteHandlerOptions>(o => o.ThrowOnBadRequest = true);
        services.ConfigureHttpJsonOptions(o => o.SerializerOptions.Converters.Add(new JsonStringEnumConverter()));

        // Local tokens come from `dotnet user-jwts`, which writes the issuer, audiences and signing key under
        // Authentication:Schemes:Bearer; production sets Authority (any OIDC issuer) in the same section.
        services.AddAuthentication(JwtBearerDefaults.AuthenticationScheme).AddJwtBearer(o => o.MapInboundClaims = false);
        services.AddAuthorization(o => o.AddPolicy(OperatorApi.Policy, p => p.RequireClaim("role", OperatorApi.OperatorRole)));
        services.TryAddSingleton(TimeProvider.System);
        services.AddOpenApi(o => o.AddOperationTransformer<AccessOperationTransformer>().AddOperationTransformer<IdempotencyKeyOperationTransformer>());
        services.AddBillingRateLimiting();
        services.AddCallerProfiles();
        services.AddIdempotencyKeys();
        services.AddPaymentWebhooks();

        services.AddHealthChecks()
            .AddCheck<StorageHealthCheck>("storage", tags: ["ready"])
            .AddCheck<ClusterHealthCheck>("cluster", tags: ["ready"]);

        var storage = builder.Configuration.GetSection(StorageSettings.Section).Get<StorageSettings>() ?? new StorageSettings();
        var cluster = builder.Configuration.GetSection(ClusterSettings.Section).Get<ClusterSettings>() ?? new ClusterSettings();
        builder.UseOrleansClient(client =>
        {
            client.Configure<ClusterOptions>(o =>
            {
                o.ClusterId = cluster.ClusterId;
                o.ServiceId = cluster.ServiceId;
            });
            client.UseAzureTableClustering(o => o.ConnectionString = storage.ConnectionString);
            client.UseConnectionRetryFilter<RetryUntilClusterIsUp>();
        });
        return builder;
    }

    public static WebApplication UseBillingApi(this WebApplication app)
    {
        app.UseExceptionHandler();
        app.UseStatusCodePages();
        app.UseAuthentication();
        app.UseRateLimiter();
        app.UseCallerProfiles();
        app.UseAuthorization();
        app.UseIdempotencyKeys();
        return app;
    }

    public static WebApplication MapBillingApi(this WebApplication app)
    {
        app.MapOpenApi();
        // The API reference a developer reads and tries calls in (Scalar, on the OpenAPI document): local use only.
        if (app.Environment.IsDevelopment())
            app.MapScalarApiReference();
        app.MapHealthChecks("/health/live", new() { Predicate = _ => false });
        app.MapHealthChecks("/health/ready", new() { Predicate = check => check.Tags.Contains("ready") });
        app.MapWorkspacesApi();
        app.MapAppsApi();
        app.MapMeteringApi();
        app.MapUsageApi();
        app.MapOperatorApi();
        app.MapSeatsApi();
        app.MapOverviewApi();
        app.MapNotificationsApi();
        app.MapPaymentsApi();
        app.MapPaymentWebhooksApi();
        app.MapSubscriptionsApi();
        app.MapInvoicesApi();
        return app;
    }

    /// <summary>
    /// The API may start before the silo (./run.sh starts both): keep retrying the first connection instead of
    /// failing start-up; /health/ready reports the cluster as unhealthy meanwhile.
    /// </summary>
    private sealed class RetryUntilClusterIsUp(ILogger<RetryUntilClusterIsUp> logger, IOptions<ClusterSettings> cluster) : IClientConnectionRetryFilter
    {
        public async Task<bool> ShouldRetryConnectionAttempt(Exception exception, CancellationToken cancellationToken)
        {
            logger.LogWarning("No gateway of cluster {ClusterId} answered yet ({Reason}); retrying.", cluster.Value.ClusterId, exception.Message);
            await Task.Delay(TimeSpan.FromSeconds(1), cancellationToken);
            return !cancellationToken.IsCancellationRequested;
        }
    }
}
