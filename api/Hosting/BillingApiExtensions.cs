using System.Text.Json.Serialization;
using Billing.Api.Errors;
using Billing.Hosting;
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
using Microsoft.AspNetCore.Authentication.JwtBearer;
using Microsoft.Extensions.Options;
using Orleans.Configuration;
using Orleans.Dashboard;
using Scalar.AspNetCore;

namespace Billing.Api.Hosting;

public static class BillingApiExtensions
{
    /// <summary>Where the API serves the operators' Orleans dashboard.</summary>
    public const string DashboardPath = "/operator/dashboard";

    public static WebApplicationBuilder AddBillingApi(this WebApplicationBuilder builder)
    {
        var services = builder.Services;
        RefuseDevelopmentSettings(builder);
        builder.WebHost.ConfigureKestrel(o => o.AddServerHeader = false);
        services.AddProblemDetails(o => o.CustomizeProblemDetails = ctx =>
            ctx.ProblemDetails.Extensions.TryAdd("traceId", ctx.HttpContext.TraceIdentifier));
        services.AddExceptionHandler<BillingExceptionHandler>();
        services.AddValidation();
        // Unreadable bodies (malformed JSON, wrong types) reach BillingExceptionHandler as exceptions, so they get the
        // same problem-detail shape, naming the field, as every other 400 (by default they are a bare 400).
        services.Configure<Microsoft.AspNetCore.Routing.RouteHandlerOptions>(o => o.ThrowOnBadRequest = true);
        services.ConfigureHttpJsonOptions(o =>
        {
            o.SerializerOptions.Converters.Add(new JsonStringEnumConverter());
            o.SerializerOptions.Converters.Add(new PlainTextStringConverter());
        });

        // Local tokens come from `dotnet user-jwts`, which writes the issuer, audiences and signing key under
        // Authentication:Schemes:Bearer; production sets Authority (any OIDC issuer) in the same section.
        services.AddAuthentication(JwtBearerDefaults.AuthenticationScheme).AddJwtBearer(o => o.MapInboundClaims = false);
        services.AddAuthorization(o => o.AddPolicy(OperatorApi.Policy, p => p.RequireClaim("role", OperatorApi.OperatorRole)));
        services.TryAddSingleton(TimeProvider.System);
        services.AddOpenApi(o => o.AddOperationTransformer<AccessOperationTransformer>().AddOperationTransformer<IdempotencyKeyOperationTransformer>());
        services.AddBillingRateLimiting();
        services.AddCallerProfiles();
        services.AddSingleton<Billing.Api.Workspaces.MemberWorkspaces>();
        services.AddIdempotencyKeys();
        services.AddPaymentWebhooks();

        builder.AddBillingApiObservability();

        // The Orleans client and the process's one TableServiceClient (the API's own tables use it too), as every
        // channel adapter joins the cluster: Storage:* and Orleans:* are validated here, naming a wrong setting.
        // The client also hosts the operators' Orleans dashboard (MapBillingApi): the silos collect its statistics.
        builder.AddBillingClusterClient(client => client.UseConnectionRetryFilter<RetryUntilClusterIsUp>().AddDashboard());
        return builder;
    }

    public static WebApplication UseBillingApi(this WebApplication app)
    {
        // On every answer, error pages included (the exception handler clears headers set earlier, not this callback).
        app.Use((http, next) =>
        {
            http.Response.OnStarting(() =>
            {
                http.Response.Headers.XContentTypeOptions = "nosniff";
                return Task.CompletedTask;
            });
            return next(http);
        });
        app.UseExceptionHandler();
        app.UseStatusCodePages();
        app.UseAuthentication();
        app.UseRateLimiter();
        app.UseCallerProfiles();
        app.UseAuthorization();
        app.UseTenantRateLimits();
        app.UseIdempotencyKeys();
        return app;
    }

    public static WebApplication MapBillingApi(this WebApplication app)
    {
        app.MapOpenApi();
        // The API reference a developer reads and tries calls in (Scalar, on the OpenAPI document): local use only.
        if (app.Environment.IsDevelopment())
            app.MapScalarApiReference();
        app.MapBillingHealthEndpoints();
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
        app.MapOperatorDashboard();
        return app;
    }

    /// <summary>
    /// The Orleans dashboard for operators only (the <c>billing-operator</c> role, as every operator endpoint): the
    /// deployed silos serve none of their own, since theirs has no authentication. Its pages and the JSON they poll are
    /// not part of the API's contract, so they stay out of the OpenAPI document.
    /// </summary>
    private static void MapOperatorDashboard(this WebApplication app) =>
        app.MapOrleansDashboard(routePrefix: DashboardPath).RequireAuthorization(OperatorApi.Policy).ExcludeFromDescription();

    /// <summary>
    /// Outside Development the API refuses to start on development storage, on the development token issuer
    /// (<c>dotnet user-jwts</c>), or without the webhook signing secret; each message names the setting.
    /// </summary>
    private static void RefuseDevelopmentSettings(WebApplicationBuilder builder)
    {
        if (!ProductionGuards.Apply(builder.Environment))
            return;
        var config = builder.Configuration;
        var bearer = config.GetSection($"Authentication:Schemes:{JwtBearerDefaults.AuthenticationScheme}");
        var issuers = bearer.GetSection("ValidIssuers").GetChildren().Select(c => c.Value).Append(bearer["ValidIssuer"]);
        ProductionGuards.ThrowIfAny("API", builder.Environment,
        [
            ProductionGuards.DevelopmentStorage(config[$"{StorageSettings.Section}:ConnectionString"], config[$"{StorageSettings.Section}:TableServiceUri"]),
            ProductionGuards.DevelopmentIssuer(issuers),
            ProductionGuards.MissingWebhookSecret(config[$"{PaymentWebhookOptions.Section}:Secret"]),
        ]);
    }

    /// <summary>
    /// The API may start before the silo (./run.sh starts both): keep retrying the first connection instead of
    /// failing start-up; /health/ready reports the cluster as unhealthy meanwhile.
    /// </summary>
    private sealed class RetryUntilClusterIsUp(ILogger<RetryUntilClusterIsUp> logger, IOptions<ClusterOptions> cluster) : IClientConnectionRetryFilter
    {
        public async Task<bool> ShouldRetryConnectionAttempt(Exception exception, CancellationToken cancellationToken)
        {
            logger.LogWarning("No gateway of cluster {ClusterId} answered yet ({Reason}); retrying.", cluster.Value.ClusterId, exception.Message);
            await Task.Delay(TimeSpan.FromSeconds(1), cancellationToken);
            return !cancellationToken.IsCancellationRequested;
        }
    }
}
