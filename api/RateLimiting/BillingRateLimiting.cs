using System.ComponentModel.DataAnnotations;
using System.Globalization;
using System.Threading.RateLimiting;
using Microsoft.AspNetCore.RateLimiting;
using Microsoft.Extensions.Options;

namespace Billing.Api.RateLimiting;

/// <summary>Settings of the REST API's rate limits (section <c>RateLimiting</c>).</summary>
public sealed class RateLimitingSettings
{
    public const string Section = "RateLimiting";

    /// <summary>Requests one caller (token <c>sub</c>, or the client address when anonymous) may make per window.</summary>
    [Range(1, 10_000_000)]
    public int PermitsPerCaller { get; set; } = 600;

    /// <summary>Requests per window aimed at one tenant (the workspace or app in the path), whoever makes them.</summary>
    [Range(1, 10_000_000)]
    public int PermitsPerTenant { get; set; } = 3000;

    /// <summary>The fixed window the permits refill in.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "01:00:00")]
    public TimeSpan Window { get; set; } = TimeSpan.FromMinutes(1);
}

/// <summary>
/// Per-tenant rate limiting with ASP.NET Core's built-in limiter: a fixed window per caller chained with one per
/// tenant (the workspace or app named in the route), so that neither one noisy user nor many users of one tenant
/// can starve the others. Over the limit: 429 with <c>Retry-After</c> (seconds) and a problem detail. Health probes
/// and the OpenAPI document are not limited.
/// </summary>
public static class BillingRateLimiting
{
    public static IServiceCollection AddBillingRateLimiting(this IServiceCollection services)
    {
        services.AddOptions<RateLimitingSettings>().BindConfiguration(RateLimitingSettings.Section).ValidateDataAnnotations().ValidateOnStart();
        services.AddRateLimiter(_ => { });
        services.AddOptions<RateLimiterOptions>().Configure<IOptions<RateLimitingSettings>>((o, settings) =>
        {
            var s = settings.Value;
            o.RejectionStatusCode = StatusCodes.Status429TooManyRequests;
            o.GlobalLimiter = PartitionedRateLimiter.CreateChained(
                PartitionedRateLimiter.Create<HttpContext, string>(http => IsExempt(http)
                    ? RateLimitPartition.GetNoLimiter("")
                    : RateLimitPartition.GetFixedWindowLimiter("caller:" + CallerKey(http), _ => Window(s.PermitsPerCaller, s.Window))),
                PartitionedRateLimiter.Create<HttpContext, string>(http => IsExempt(http) || TenantKey(http) is not { } tenant
                    ? RateLimitPartition.GetNoLimiter("")
                    : RateLimitPartition.GetFixedWindowLimiter("tenant:" + tenant, _ => Window(s.PermitsPerTenant, s.Window))));
            o.OnRejected = async (context, cancellationToken) =>
            {
                var http = context.HttpContext;
                var retryAfter = context.Lease.TryGetMetadata(MetadataName.RetryAfter, out var wait) ? wait : s.Window;
                http.Response.Headers.RetryAfter = Math.Max(1, (int)Math.Ceiling(retryAfter.TotalSeconds)).ToString(CultureInfo.InvariantCulture);
                var problems = http.RequestServices.GetRequiredService<IProblemDetailsService>();
                await problems.TryWriteAsync(new()
                {
                    HttpContext = http,
                    ProblemDetails = new()
                    {
                        Status = StatusCodes.Status429TooManyRequests,
                        Title = "Too many requests; retry after the time in the Retry-After header.",
                        Type = "https://billing.local/problems/rate-limited",
                        Extensions = { ["code"] = "rate-limited" },
                    },
                });
            };
        });
        return services;
    }

    private static FixedWindowRateLimiterOptions Window(int permits, TimeSpan window) =>
        new() { PermitLimit = permits, Window = window, QueueLimit = 0, AutoReplenishment = true };

    private static bool IsExempt(HttpContext http) =>
        http.Request.Path.StartsWithSegments("/health") || http.Request.Path.StartsWithSegments("/openapi");

    private static string CallerKey(HttpContext http) =>
        http.User.FindFirst("sub")?.Value is { Length: > 0 } sub ? "user:" + sub : "ip:" + (http.Connection.RemoteIpAddress?.ToString() ?? "unknown");

    /// <summary>The tenant a request is aimed at, from the route (matched before this middleware runs).</summary>
    private static string? TenantKey(HttpContext http) =>
        http.GetRouteValue("workspaceId") is string workspace ? "ws:" + workspace
        : http.GetRouteValue("appId") is string app ? "app:" + app
        : null;
}
